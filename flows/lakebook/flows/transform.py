"""The transform_dataset flow: a declarative Polars pipeline over published datasets."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from prefect import flow

from lakebook.flows.lake_tasks import (
    current_run_id,
    current_user,
    lake_publisher,
    lake_task,
    publish_dataset,
)
from lakebook.flows.publisher import LakePublisher
from lakebook.flows.transform_spec import TransformSpec, apply_step

FLOW_NAME = "transform_dataset"
TAGS = {"lake", "heavy"}

# What Polars raises when a plan does not fit its data: unknown columns, mismatched types.
_PLAN_ERRORS = (
    pl.exceptions.ColumnNotFoundError,
    pl.exceptions.SchemaError,
    pl.exceptions.InvalidOperationError,
    pl.exceptions.DuplicateError,
    pl.exceptions.ComputeError,
)


class TransformError(ValueError):
    """A spec that does not fit the datasets it reads; the message names the step."""


@dataclass(frozen=True)
class PlannedTransform:
    """The lazy result of a spec, and the exact runs it reads."""

    frame: pl.LazyFrame
    input_keys: list[str]


def plan_transform(publisher: LakePublisher, spec: TransformSpec) -> PlannedTransform:
    """Resolves each input to one published run and checks every step; nothing is computed."""
    frames: dict[str, pl.LazyFrame] = {}
    input_keys = []
    for source in spec.inputs:
        # Pinning the latest run now means the run reads, and records, exactly one version.
        run_id = source.run_id or publisher.latest_run(source.dataset).run_id
        frames[source.name] = publisher.scan(source.dataset, run_id)
        input_keys.append(publisher.paths.run_data_key(source.dataset, run_id))
    check_steps(spec, {name: frame.collect_schema() for name, frame in frames.items()})
    result = frames[spec.inputs[0].name]
    for step in spec.steps:
        result = apply_step(result, step, frames)
    return PlannedTransform(frame=result, input_keys=input_keys)


def check_steps(spec: TransformSpec, schemas: dict[str, pl.Schema]) -> pl.Schema:
    """Runs the steps over empty frames of the inputs' schemas: type errors surface in Polars
    only when data is computed, and this finds them, by step, before any data is read."""
    empty = {name: pl.LazyFrame(schema=schema) for name, schema in schemas.items()}
    frame = empty[spec.inputs[0].name]
    columns = frame.collect_schema().names()
    for position, step in enumerate(spec.steps, start=1):
        frame = apply_step(frame, step, empty)
        try:
            columns = frame.collect().columns
        except _PLAN_ERRORS as error:
            detail = str(error).strip().splitlines()[0]
            raise TransformError(
                f"step {position} ({step.step}) does not fit its input: {detail}; "
                f"columns before this step: {', '.join(columns)}"
            ) from error
    return frame.collect_schema()


@lake_task("plan-transform", tags=TAGS)
def plan_transform_task(spec: TransformSpec) -> PlannedTransform:
    """Reads the inputs' schemas and plans the pipeline; nothing is computed yet."""
    return plan_transform(lake_publisher(), spec)


@flow(
    name=FLOW_NAME,
    description="Runs a declarative Polars pipeline over published datasets and publishes it.",
)
def transform_dataset(spec: TransformSpec) -> dict[str, object]:
    """Publishes the spec's result as `spec.output`; a bad spec or missing input publishes nothing.

    The run returns the published run's metadata (dataset, run id, schema, row count, inputs).

    Args:
        spec: Inputs (datasets, optionally pinned to a run), steps applied to the first input
            (select, filter, with_columns, group_by, join, sort, limit) and the output name.
    """
    planned = plan_transform_task(spec)
    return publish_dataset(
        planned.frame,
        dataset=spec.output,
        run_id=current_run_id(),
        flow_name=FLOW_NAME,
        user=current_user(),
        parameters={"spec": spec.model_dump(mode="json", exclude_defaults=True)},
        inputs=planned.input_keys,
    )
