"""The transform_dataset flow: a declarative Polars pipeline over published datasets."""

from __future__ import annotations

import contextvars
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

import polars as pl
from prefect import flow, unmapped

from lakebook.common.settings import get_settings
from lakebook.flows.dataset_access import check_dataset_access
from lakebook.flows.lake_tasks import (
    NO_PREFECT_RESULT,
    current_run_id,
    current_user,
    lake_publisher,
    lake_task,
    publish_dataset,
)
from lakebook.flows.partitions import (
    Partition,
    parts_prefix,
    plan_partitions,
    row_wise_prefix,
    rows_per_partition,
    transform_partition,
)
from lakebook.flows.task_runners import SettingsTaskRunner
from lakebook.lake.metadata import RunMetadata
from lakebook.lake.publisher import LakePublisher
from lakebook.lake.row_widths import is_text
from lakebook.lake.runs import OpenedRun
from lakebook.lake.transform_check import check_steps
from lakebook.lake.transform_spec import InputDataset, TransformSpec, apply_steps

FLOW_NAME = "transform_dataset"
TAGS = {"lake", "heavy"}


@dataclass(frozen=True)
class PlannedTransform:
    """The lazy result of a spec, the exact runs it reads, the inputs' frames by name, and the
    mean byte length of the result's string columns where an input recorded it."""

    frame: pl.LazyFrame
    input_keys: list[str]
    frames: dict[str, pl.LazyFrame]
    run_ids: dict[str, str]
    column_bytes: dict[str, float]


@dataclass(frozen=True)
class OpenedInput:
    """One input's run and lazy frame, its schema, and its string columns' recorded widths."""

    run: OpenedRun
    schema: pl.Schema
    text_bytes: dict[str, float]


def plan_transform(publisher: LakePublisher, spec: TransformSpec) -> PlannedTransform:
    """Resolves each input to one published run and checks every step; nothing is computed."""
    # Pinning the latest run now means the run reads, and records, exactly one version. Each
    # input costs two or three lake round trips (the latest run's entries and marker, or the
    # pinned run's check; the Parquet footer): the inputs are looked up side by side, and a
    # failure is the first failing input's.
    names = [source.name for source in spec.inputs]
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        looked_up = pool.map(partial(open_input, publisher), spec.inputs)
        opened = dict(zip(names, looked_up, strict=True))
    frames = {name: found.run.frame for name, found in opened.items()}
    run_ids = {name: found.run.run_id for name, found in opened.items()}
    input_keys = [
        publisher.paths.run_data_key(source.dataset, run_ids[source.name]) for source in spec.inputs
    ]
    schema = check_steps(spec, {name: found.schema for name, found in opened.items()})
    result = apply_steps(frames[spec.inputs[0].name], spec.steps, frames)
    return PlannedTransform(
        frame=result,
        input_keys=input_keys,
        frames=frames,
        run_ids=run_ids,
        column_bytes=output_text_bytes(schema, [opened[name].text_bytes for name in names]),
    )


def open_input(publisher: LakePublisher, source: InputDataset) -> OpenedInput:
    """One input's run, lazy frame and schema (read from the Parquet footer), and its recorded
    string widths (read from metadata.json beside the footer, not after it)."""
    run = publisher.open_run(source.dataset, source.run_id)
    with ThreadPoolExecutor(max_workers=1) as beside:
        widths = beside.submit(publisher.read_text_widths, source.dataset, run.run_id)
        schema = run.frame.collect_schema()
        return OpenedInput(run=run, schema=schema, text_bytes=widths.result())


def output_text_bytes(
    schema: pl.Schema, inputs_text_bytes: list[dict[str, float]]
) -> dict[str, float]:
    """The widths of the result's string columns that keep an input column's name (selected,
    filtered, grouped or joined through), from the first input that recorded one. Without it a
    lazy result's strings are guessed at 32 bytes: a column of 1 kB texts made row groups of
    2**20 rows, ~1 GB buffered by the sink where 128 MB was meant."""
    widths: dict[str, float] = {}
    for text_bytes in reversed(inputs_text_bytes):
        widths.update(text_bytes)
    return {
        name: widths[name] for name, dtype in schema.items() if name in widths and is_text(dtype)
    }


def split_input(
    publisher: LakePublisher,
    spec: TransformSpec,
    planned: PlannedTransform,
    run_id: str,
    partition_rows: int,
) -> list[Partition]:
    """The slices of the first input that partition tasks process; none when the spec starts
    with no row-wise step or the input fits in one partition."""
    if row_wise_prefix(spec.steps) == 0:
        return []
    first = spec.inputs[0]
    # A count over Parquet reads only the footer.
    rows = int(planned.frames[first.name].select(pl.len()).collect().item())
    run_prefix = publisher.paths.run_prefix(spec.output, run_id)
    partitions = plan_partitions(
        first.dataset, planned.run_ids[first.name], run_prefix, rows, partition_rows
    )
    return partitions if len(partitions) > 1 else []


def combine_parts(
    publisher: LakePublisher, spec: TransformSpec, planned: PlannedTransform, part_keys: list[str]
) -> pl.LazyFrame:
    """The rest of the pipeline (from the first step that needs all rows) over the parts."""
    rest = spec.steps[row_wise_prefix(spec.steps) :]
    return apply_steps(publisher.scan_parts(part_keys), rest, planned.frames)


class Planning:
    """A spec being planned (`plan_transform`) in a thread of its own while the run goes on, and
    beside it the output run prepared (`LakePublisher.prepare_run`: its old _SUCCESS removed,
    the run indexed).

    Planning reads listings and footers only, ~15 ms, and is no task: as one it cost ~40 ms of
    Prefect round trips. Started before the publish step, it overlaps the ~25 ms Prefect takes
    to start that step and take its "heavy" slot, and so does the preparation, which the
    publisher would otherwise make before its sink. `result()` waits for the plan, raising what
    planning raised; asked again after that (the step's retry), it plans afresh.
    `prepared_run()` says whether the preparation was made for the attempt asking (once: later
    attempts prepare again).
    """

    def __init__(self, spec: TransformSpec, run_id: str) -> None:
        self.spec = spec
        self._planned: PlannedTransform | None = None
        # The threads see this context (settings) as the flow does; they end with their work.
        # Each runs in a copy of its own: one context cannot be entered by two threads at once.
        planner = ThreadPoolExecutor(max_workers=2, thread_name_prefix="lakebook-planning")
        context = contextvars.copy_context()
        publisher = lake_publisher()
        self._future: Future[PlannedTransform] | None = planner.submit(
            context.copy().run, plan_transform, publisher, spec
        )
        self._preparing: Future[None] | None = planner.submit(
            context.run, publisher.prepare_run, spec.output, run_id
        )
        planner.shutdown(wait=False)

    def result(self) -> PlannedTransform:
        if self._planned is None:
            future, self._future = self._future, None
            if future is None:
                self._planned = plan_transform(lake_publisher(), self.spec)
            else:
                self._planned = future.result()
        return self._planned

    def prepared_run(self) -> bool:
        """True the first time, once the preparation is done (raising what it raised); False
        after."""
        preparing, self._preparing = self._preparing, None
        if preparing is None:
            return False
        preparing.result()
        return True


# Splitting reads footers only; the heavy work (Polars executing the plan) happens in the
# publish step and the partition tasks, which take the "heavy" slots `lakebook up` limits.
@lake_task("split-input", tags={"lake"})
def split_input_task(
    spec: TransformSpec, planned: PlannedTransform, run_id: str, partition_rows: int
) -> list[Partition]:
    """Slices the first input for partition tasks, clearing parts a killed attempt of this run
    id may have left (a Prefect retry reuses the run id, and so the prefix)."""
    publisher = lake_publisher()
    partitions = split_input(publisher, spec, planned, run_id, partition_rows)
    if partitions:
        publisher.store.remove_prefix(parts_prefix(publisher.paths.run_prefix(spec.output, run_id)))
    return partitions


# Polars runs the whole plan here (or its rest, over the parts): a heavy step.
publish_transform = publish_dataset.with_options(tags=TAGS)


@lake_task("publish-dataset", tags=TAGS)
def publish_planned(planning: Planning, *, run_id: str, user: str | None) -> RunMetadata:
    """Publishes the spec's whole plan once planning is done; a spec that does not fit its
    inputs fails here, having published nothing."""
    spec, planned = planning.spec, planning.result()
    return publish_dataset.fn(
        planned.frame,
        dataset=spec.output,
        run_id=run_id,
        flow_name=FLOW_NAME,
        user=user,
        parameters=spec_parameters(spec),
        inputs=planned.input_keys,
        column_bytes=planned.column_bytes,
        run_prepared=planning.prepared_run(),
    )


def spec_parameters(spec: TransformSpec) -> dict[str, object]:
    """The run's parameters as its metadata.json records them."""
    return {"spec": spec.model_dump(mode="json", exclude_defaults=True)}


@lake_task("remove-parts", tags={"lake"})
def remove_parts_task(dataset: str, run_id: str) -> None:
    """Runs after _SUCCESS: the published output.parquet no longer needs the parts."""
    publisher = lake_publisher()
    publisher.store.remove_prefix(parts_prefix(publisher.paths.run_prefix(dataset, run_id)))


@flow(
    name=FLOW_NAME,
    description="Runs a declarative Polars pipeline over published datasets and publishes it.",
    **NO_PREFECT_RESULT,
    # Threads or Dask, as LAKEBOOK_TASK_RUNNER says when the run starts.
    task_runner=SettingsTaskRunner(),
)
def transform_dataset(spec: TransformSpec) -> dict[str, object]:
    """Publishes the spec's result as `spec.output`; a bad spec or missing input publishes nothing.

    The run returns the published run's metadata (dataset, run id, schema, row count, inputs).

    Args:
        spec: Inputs (datasets, optionally pinned to a run), steps applied to the first input
            (select, filter, with_columns, group_by, join, sort, limit) and the output name.
    """
    # As the run's owner, before planning reads a footer or prepares the output run (L7).
    check_dataset_access(read=[source.dataset for source in spec.inputs], publish=[spec.output])
    run_id = current_run_id()
    planning = Planning(spec, run_id)
    # Without a partition size there is nothing to split: no task for it (each costs Prefect
    # round trips), one streaming Polars plan in the publish step.
    partition_rows = rows_per_partition(get_settings())
    if partition_rows is None:
        return publish_planned(planning, run_id=run_id, user=current_user()).document()
    planned = planning.result()
    # Waited for, so that the marker's removal cannot land after this run's own _SUCCESS; the
    # publish step below prepares the run itself, as each of its retries must.
    planning.prepared_run()
    frame = planned.frame
    partitions = split_input_task(spec, planned, run_id, partition_rows)
    if partitions:
        head = list(spec.steps[: row_wise_prefix(spec.steps)])
        part_keys = transform_partition.map(partitions, steps=unmapped(head)).result()
        frame = combine_parts(lake_publisher(), spec, planned, part_keys)
    metadata = publish_transform(
        frame,
        dataset=spec.output,
        run_id=run_id,
        flow_name=FLOW_NAME,
        user=current_user(),
        parameters=spec_parameters(spec),
        inputs=planned.input_keys,
        column_bytes=planned.column_bytes,
    )
    if partitions:
        remove_parts_task(spec.output, run_id)
    return metadata.document()
