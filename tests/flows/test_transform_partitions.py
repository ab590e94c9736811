"""transform_dataset over a multi-partition input: partition tasks on threads and on Dask."""

from __future__ import annotations

import contextvars
import sys
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import polars as pl
import pytest
from distributed import Client, LocalCluster, get_task_stream
from polars.testing import assert_frame_equal

from lakebook.common.settings import Settings, get_settings
from lakebook.flows.partitions import row_wise_prefix
from lakebook.flows.task_runners import check_lake_access, task_runner_for
from lakebook.flows.transform import plan_transform, transform_dataset
from lakebook.lake.publisher import LakePublisher
from lakebook.lake.transform_spec import TransformSpec
from tests.utils.flow_lake import tags_by_task, task_runs_of, task_tags

ROWS = 10_000
PARTITION_ROWS = 2_500  # four partitions
ORDERS = pl.DataFrame(
    {
        "order_id": range(ROWS),
        "customer_id": [i % 7 for i in range(ROWS)],
        "amount": [(i * 37 % 1000) / 10 for i in range(ROWS)],
    }
)
CUSTOMERS = pl.DataFrame(
    {"customer_id": range(7), "country": ["fr", "de", "fr", "it"] + ["es"] * 3}
)

FILTER_CHEAP = {
    "step": "filter",
    "condition": {"op": "<", "args": [{"col": "amount"}, {"lit": 80}]},
}
WITH_TAX = {
    "step": "with_columns",
    "columns": [{"name": "gross", "expr": {"op": "*", "args": [{"col": "amount"}, {"lit": 1.2}]}}],
}
# Row-wise from start to end: every step runs in the partition tasks.
ROW_WISE: dict[str, Any] = {
    "inputs": [{"dataset": "orders"}],
    "steps": [FILTER_CHEAP, WITH_TAX, {"step": "select", "columns": ["order_id", "gross"]}],
    "output": "cheap_orders",
}
# Two row-wise steps in the partitions, then a join and an aggregation over all the parts.
BY_COUNTRY: dict[str, Any] = {
    "inputs": [{"dataset": "orders"}, {"dataset": "customers"}],
    "steps": [
        FILTER_CHEAP,
        WITH_TAX,
        {"step": "join", "right": "customers", "on": ["customer_id"]},
        {
            "step": "group_by",
            "by": ["country"],
            "aggs": [
                {"name": "gross", "expr": {"agg": "sum", "col": "gross"}},
                {"name": "orders", "expr": {"agg": "count", "col": "order_id"}},
            ],
        },
    ],
    "output": "gross_by_country",
}


def steps_of(*steps: dict[str, Any]) -> TransformSpec:
    return TransformSpec.model_validate(
        {"inputs": [{"dataset": "orders"}], "steps": list(steps), "output": "out"}
    )


def test_only_leading_row_wise_steps_run_per_partition() -> None:
    assert row_wise_prefix(TransformSpec.model_validate(BY_COUNTRY).steps) == 2
    assert row_wise_prefix(TransformSpec.model_validate(ROW_WISE).steps) == 3
    total = {"name": "total", "expr": {"agg": "sum", "col": "amount"}}
    # A frame-wide aggregate differs per slice, wherever it hides.
    assert row_wise_prefix(steps_of({"step": "select", "columns": [total]}).steps) == 0
    above_mean = {"op": ">", "args": [{"col": "amount"}, {"agg": "mean", "col": "amount"}]}
    assert row_wise_prefix(steps_of({"step": "filter", "condition": above_mean}).steps) == 0
    # A select of literals only is one row, not one per input row.
    one = {"name": "one", "expr": {"lit": 1}}
    assert row_wise_prefix(steps_of({"step": "select", "columns": [one]}).steps) == 0
    assert row_wise_prefix(steps_of({"step": "select", "columns": ["amount", one]}).steps) == 1
    assert row_wise_prefix(steps_of({"step": "limit", "n": 3}, FILTER_CHEAP).steps) == 0


@pytest.fixture
def lake(flow_lake: LakePublisher, monkeypatch: pytest.MonkeyPatch) -> LakePublisher:
    flow_lake.publish(ORDERS, dataset="orders", run_id="orders-1", flow_name="test")
    flow_lake.publish(CUSTOMERS, dataset="customers", run_id="customers-1", flow_name="test")
    monkeypatch.setenv("LAKEBOOK_TRANSFORM_PARTITION_ROWS", str(PARTITION_ROWS))
    return flow_lake


def unpartitioned(lake: LakePublisher, spec: dict[str, Any]) -> pl.DataFrame:
    """The spec computed in one Polars plan, as transform_dataset did before partitions."""
    return plan_transform(lake, TransformSpec.model_validate(spec)).frame.collect()


def leftover_objects(lake: LakePublisher, dataset: str, run_id: str) -> list[str]:
    prefix = lake.paths.run_prefix(dataset, run_id)
    return sorted(key.removeprefix(prefix + "/") for key in lake.store.find(prefix))


def sorted_frame(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns)


def test_row_wise_spec_runs_one_task_per_partition_and_keeps_row_order(
    lake: LakePublisher,
) -> None:
    metadata = transform_dataset(spec=ROW_WISE)

    published = lake.scan("cheap_orders").collect()
    # Parts are combined in input order, so even the row order matches one big plan.
    assert_frame_equal(published, unpartitioned(lake, ROW_WISE))
    assert published.height == metadata["row_count"] == ORDERS.filter(pl.col("amount") < 80).height
    partitions = ROWS // PARTITION_ROWS
    # One task a partition, beside splitting, publishing and clean-up.
    task_runs = task_runs_of(metadata["run_id"], count=partitions + 3)
    assert sum(run.name.startswith("transform-partition") for run in task_runs) == partitions
    # The steps where Polars computes take the "heavy" slots `lakebook up` limits; splitting
    # and clean-up only read footers or delete, and wait for no slot. Planning is no task.
    assert tags_by_task(task_runs) == {
        "split-input": {"lake"},
        "transform-partition": {"lake", "heavy"},
        "publish-dataset": {"lake", "heavy"},
        "remove-parts": {"lake"},
    }
    # The parts are gone once the run is published; readers only ever saw the final file.
    assert leftover_objects(lake, "cheap_orders", metadata["run_id"]) == [
        "_SUCCESS",
        "metadata.json",
        "output.parquet",
    ]


def test_on_threads_without_a_partition_size_one_plan_does_it_all(
    lake: LakePublisher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parts cost a write and a read of the data: on one machine they only pay off on Dask."""
    monkeypatch.delenv("LAKEBOOK_TRANSFORM_PARTITION_ROWS")
    metadata = transform_dataset(spec=ROW_WISE)
    assert_frame_equal(lake.scan("cheap_orders").collect(), unpartitioned(lake, ROW_WISE))
    # No partition size, so no split task either: one plan, computed in the heavy publish step,
    # the run's only task.
    assert task_tags(metadata["run_id"]) == {"publish-dataset": {"lake", "heavy"}}


# Far above the seconds this run takes on a loaded machine; below pytest's own timeout, whose
# report shows only this process's threads.
DASK_RUN_SECONDS = 240.0


def thread_stacks() -> str:
    """Every thread's stack in this process (run on each Dask worker)."""
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    return "\n".join(
        f"--- {names.get(ident, ident)}\n{''.join(traceback.format_stack(frame))}"
        for ident, frame in sys._current_frames().items()
    )


def run_on_dask(client: Client, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The flow run, or a failure naming where each worker's threads are if it hangs.

    It hung once in CI (one partition task Pending for 10 minutes on a worker's first Prefect
    task, never Running); pytest's timeout report showed this process only. The run goes on a
    daemon thread, so a hung one cannot hold up the end of the session either."""
    ended: Future[dict[str, Any]] = Future()

    def run_and_keep_the_outcome() -> None:
        try:
            ended.set_result(run())
        except BaseException as error:
            ended.set_exception(error)

    # Prefect's settings (the session server's URL) live in context variables.
    context = contextvars.copy_context()
    threading.Thread(target=context.run, args=(run_and_keep_the_outcome,), daemon=True).start()
    try:
        return ended.result(timeout=DASK_RUN_SECONDS)
    except TimeoutError:
        stacks = client.run(thread_stacks)
        pytest.fail(
            f"the Dask run did not end within {DASK_RUN_SECONDS:.0f} s; worker threads:\n"
            + "\n".join(f"=== worker {worker}\n{stack}" for worker, stack in stacks.items())
        )


def test_dask_workers_give_the_same_output_as_threads(
    lake: LakePublisher, lake_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads = transform_dataset(spec=BY_COUNTRY)
    by_threads = lake.scan("gross_by_country", threads["run_id"]).collect()
    assert_frame_equal(sorted_frame(by_threads), sorted_frame(unpartitioned(lake, BY_COUNTRY)))

    # Worker processes start after flows_use_lake set LAKEBOOK_*: they inherit the lake's env.
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        reached = client.run(check_lake_access)
        assert sorted(reached.values()) == [lake_settings.s3.lake_root] * 2

        monkeypatch.setenv("LAKEBOOK_TASK_RUNNER", "dask")
        monkeypatch.setenv("LAKEBOOK_DASK_ADDRESS", cluster.scheduler_address)
        on_dask = transform_dataset.with_options(task_runner=task_runner_for(get_settings()))
        with get_task_stream(client) as stream:
            dask = run_on_dask(client, lambda: on_dask(spec=BY_COUNTRY))
        ran_on = {task["worker"] for task in stream.data}

    assert len(stream.data) == ROWS // PARTITION_ROWS
    assert ran_on <= set(reached)
    by_dask = lake.scan("gross_by_country", dask["run_id"]).collect()
    assert_frame_equal(sorted_frame(by_dask), sorted_frame(by_threads))
    assert dask["run_id"] != threads["run_id"]
    assert [run.run_id for run in lake.list_runs("gross_by_country")] == [
        dask["run_id"],
        threads["run_id"],
    ]
