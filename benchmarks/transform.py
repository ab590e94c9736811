"""Transform benchmark: `python -m benchmarks.transform`.

One query — filter 10M orders, join 100k customers, group by region and segment — over datasets
published with the LakePublisher on a real SeaweedFS, side by side in one run:
1. the `transform_dataset` flow called against a real Prefect server (task runs, tag
   concurrency slots, state changes, result handling): its wall time, and the run's own time
   as Prefect records it (Running to Completed), the "time inside the run";
2. the flow's logic alone (plan_transform + publish: the spec, the planning checks, the Parquet
   sink, metadata.json and _SUCCESS), timed in this process;
3. plain Polars in one process: the same scan from S3, query and Parquet write to S3;
4. pandas: read through pyarrow + s3fs, filter, merge, groupby, write Parquet to S3;
5. Prefect's own floor, two flows that run plain Polars' query (3.) and nothing of lakebook:
   in a task with the publish step's tags (so it takes and gives back a `heavy` slot), and
   directly in the flow's body. The time inside those runs is what Prefect costs any flow of
   that shape; the transform run's time over them is lakebook's own.
Rounds are interleaved after one warm-up flow call, in a new order each round, so load from
other work on the machine hits all of them alike; ratios are given both of the medians and as
the median of each round's own ratio. The results are checked to be equal.
Writes benchmarks/results/transform.json.
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.context import refresh_global_settings_context
from prefect.runtime import flow_run

from benchmarks.common import (
    free_port,
    lake_env,
    lake_settings,
    load_average,
    quiet_supervisor,
    start_seaweed,
    summary,
    timed,
    write_results,
)
from lakebook.cli.stack.services import prefect_env, prefect_service
from lakebook.flows.lake_tasks import NO_PREFECT_RESULT, lake_publisher
from lakebook.flows.transform import TAGS, plan_transform
from lakebook.lake.publisher import LakePublisher
from lakebook.lake.store import LakeStore
from lakebook.lake.transform_spec import TransformSpec

ORDERS = int(os.environ.get("BENCH_TRANSFORM_ROWS", 10_000_000))
CUSTOMERS = 100_000
ROUNDS = int(os.environ.get("BENCH_TRANSFORM_ROUNDS", 12))
REGIONS = [f"region-{i:02d}" for i in range(20)]
SEGMENTS = ["consumer", "corporate", "home-office", "small-business"]
STATUSES = ["paid", "pending", "refunded", "cancelled"]
MIN_AMOUNT = 20.0
GROUP_KEYS = ["region", "segment"]

SPEC = TransformSpec.model_validate(
    {
        "inputs": [{"dataset": "bench_orders"}, {"dataset": "bench_customers"}],
        "steps": [
            {
                "step": "filter",
                "condition": {
                    "op": "and",
                    "args": [
                        {"op": "==", "args": [{"col": "status"}, {"lit": "paid"}]},
                        {"op": ">", "args": [{"col": "amount"}, {"lit": MIN_AMOUNT}]},
                    ],
                },
            },
            {"step": "join", "right": "bench_customers", "on": ["customer_id"]},
            {
                "step": "group_by",
                "by": GROUP_KEYS,
                "aggs": [
                    {"name": "revenue", "expr": {"agg": "sum", "col": "amount"}},
                    {"name": "orders", "expr": {"agg": "count", "col": "order_id"}},
                    {"name": "avg_quantity", "expr": {"agg": "mean", "col": "quantity"}},
                ],
            },
        ],
        "output": "bench_revenue",
    }
)


def input_frames() -> dict[str, pl.DataFrame]:
    """The two inputs, the same on every run (seeded)."""
    rng = np.random.default_rng(42)
    customers = pl.DataFrame(
        {
            "customer_id": np.arange(CUSTOMERS, dtype=np.int64),
            "region": np.array(REGIONS)[rng.integers(0, len(REGIONS), CUSTOMERS)],
            "segment": np.array(SEGMENTS)[rng.integers(0, len(SEGMENTS), CUSTOMERS)],
        }
    )
    orders = pl.DataFrame(
        {
            "order_id": np.arange(ORDERS, dtype=np.int64),
            "customer_id": rng.integers(0, CUSTOMERS, ORDERS, dtype=np.int64),
            "amount": rng.gamma(2.0, 30.0, ORDERS).round(2),
            "quantity": rng.integers(1, 10, ORDERS, dtype=np.int32),
            "status": pl.Series(np.array(STATUSES)[rng.integers(0, len(STATUSES), ORDERS)]),
        }
    )
    return {"bench_customers": customers, "bench_orders": orders}


def generate(publisher: LakePublisher) -> None:
    """Publishes the two inputs the way any lakebook flow would (zstd Parquet on S3)."""
    for name, frame in input_frames().items():
        publisher.publish(frame, dataset=name, run_id="input", flow_name="benchmark")


def run_lakebook(publisher: LakePublisher, run_id: str) -> str:
    """What the transform_dataset flow does inside its two tasks, without Prefect around it."""
    planned = plan_transform(publisher, SPEC)
    publisher.publish(
        planned.frame,
        dataset=SPEC.output,
        run_id=run_id,
        flow_name="transform_dataset",
        parameters={"spec": SPEC.model_dump(mode="json", exclude_defaults=True)},
        inputs=planned.input_keys,
        column_bytes=planned.column_bytes,
    )
    return publisher.paths.uri(publisher.paths.run_data_key(SPEC.output, run_id))


def run_polars(store: LakeStore, inputs: dict[str, str], output: str) -> str:
    """The query as a Polars user would write it: lazy scans, one sink."""
    options = store.polars_options
    orders = pl.scan_parquet(inputs["bench_orders"], storage_options=options)
    customers = pl.scan_parquet(inputs["bench_customers"], storage_options=options)
    (
        orders.filter((pl.col("status") == "paid") & (pl.col("amount") > MIN_AMOUNT))
        .join(customers, on="customer_id")
        .group_by(GROUP_KEYS)
        .agg(
            revenue=pl.col("amount").sum(),
            orders=pl.col("order_id").count(),
            avg_quantity=pl.col("quantity").mean(),
        )
        .sink_parquet(output, storage_options=options)
    )
    return output


@task(name="polars-query", tags=TAGS, cache_policy=NO_CACHE)
def polars_query_task(inputs: dict[str, str], output: str) -> str:
    return run_polars(lake_publisher().store, inputs, output)


@flow(name="bench-polars-in-task", **NO_PREFECT_RESULT)
def polars_in_task(inputs: dict[str, str], output: str) -> dict[str, str | None]:
    """Prefect's floor for a one-step flow whose step takes a `heavy` slot."""
    return {"run_id": flow_run.id, "data_uri": polars_query_task(inputs, output)}


@flow(name="bench-polars-in-flow", **NO_PREFECT_RESULT)
def polars_in_flow(inputs: dict[str, str], output: str) -> dict[str, str | None]:
    """Prefect's floor for a flow with no task (and so no slot)."""
    return {"run_id": flow_run.id, "data_uri": run_polars(lake_publisher().store, inputs, output)}


def run_pandas(fs_options: dict[str, Any], inputs: dict[str, str], output: str) -> str:
    """The query as a pandas user would write it: read_parquet via pyarrow + s3fs."""
    orders = pd.read_parquet(inputs["bench_orders"], storage_options=fs_options)
    customers = pd.read_parquet(inputs["bench_customers"], storage_options=fs_options)
    paid = orders[(orders["status"] == "paid") & (orders["amount"] > MIN_AMOUNT)]
    joined = paid.merge(customers, on="customer_id")
    result = joined.groupby(GROUP_KEYS, as_index=False).agg(
        revenue=("amount", "sum"), orders=("order_id", "count"), avg_quantity=("quantity", "mean")
    )
    result.to_parquet(output, storage_options=fs_options, index=False)
    return output


def read_sorted(uri: str, store: LakeStore) -> pl.DataFrame:
    frame = pl.read_parquet(uri, storage_options=store.polars_options)
    return frame.sort(GROUP_KEYS).with_columns(pl.col("orders").cast(pl.Int64))


def check_same(store: LakeStore, outputs: dict[str, str]) -> None:
    """All three computed the same table (sums compared to a relative 1e-9)."""
    frames = {name: read_sorted(uri, store) for name, uri in outputs.items()}
    reference = frames["lakebook"]
    if reference.height != len(REGIONS) * len(SEGMENTS):
        raise RuntimeError(f"unexpected result size {reference.height}")
    for name, frame in frames.items():
        if frame.select(GROUP_KEYS + ["orders"]).equals(reference.select(GROUP_KEYS + ["orders"])):
            close = np.allclose(frame["revenue"], reference["revenue"], rtol=1e-9)
            if close and np.allclose(frame["avg_quantity"], reference["avg_quantity"]):
                continue
        raise RuntimeError(f"{name} computed a different result than lakebook")


def run_flow(
    flow_run_times: list[float], call: Callable[[], Mapping[str, Any]] | None = None
) -> str:
    """The whole flow call (transform_dataset unless another is given) on the Prefect server the
    process points at; records the run's own time (Prefect's start to end) and returns the
    data's URI."""
    from prefect import get_client

    from lakebook.flows.transform import transform_dataset

    metadata = call() if call is not None else transform_dataset(SPEC)
    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(metadata["run_id"])
    if flow_run.start_time is None or flow_run.end_time is None:
        raise RuntimeError(f"flow run {flow_run.id} has no start or end time")
    flow_run_times.append((flow_run.end_time - flow_run.start_time).total_seconds())
    return str(metadata["data_uri"])


def paired_ratio(seconds: list[float], baseline: list[float]) -> float:
    """The median over rounds of one contender's time over the baseline's in that round."""
    ratios = [mine / theirs for mine, theirs in zip(seconds, baseline, strict=True)]
    return round(statistics.median(ratios), 2)


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="lakebook-bench-transform-"))
    settings = lake_settings(root / "lake", prefect_port=free_port())
    supervisor = quiet_supervisor(root)
    timings: dict[str, list[float]] = {
        "flow": [], "lakebook": [], "polars": [], "pandas": [], "in_task": [], "in_flow": []
    }  # fmt: skip
    flow_run_times: list[float] = []
    # The time inside the floor flows' runs, as for transform_dataset's.
    floor_run_times: dict[str, list[float]] = {"in_task": [], "in_flow": []}
    try:
        start_seaweed(supervisor, settings)
        supervisor.start(prefect_service(settings))
        # The flow runs in this process: give it the environment `lakebook up` gives the
        # runner's flow runs (the lake; Prefect's client settings), read by every thread as in
        # a fresh run process (Prefect read its settings when it was imported).
        os.environ.update({**lake_env(settings), **prefect_env(settings)})
        refresh_global_settings_context()
        store = LakeStore.from_settings(settings)
        publisher = LakePublisher(store)
        started = time.perf_counter()
        generate(publisher)
        print(f"published {ORDERS:,} orders in {time.perf_counter() - started:.1f} s", flush=True)
        inputs = {
            name: publisher.latest_run(name).data_uri
            for name in ("bench_orders", "bench_customers")
        }
        fs_options = {
            "key": settings.require_secret("s3_access_key_id"),
            "secret": settings.require_secret("s3_secret_access_key"),
            "client_kwargs": {"endpoint_url": settings.s3.url, "region_name": settings.s3.region},
        }
        results_prefix = f"{settings.s3.lake_root}/results/bench"
        outputs: dict[str, str] = {}
        floors = {"in_task": polars_in_task, "in_flow": polars_in_flow}

        def floor_call(name: str, output: str) -> Callable[[], Mapping[str, Any]]:
            return partial(floors[name], inputs, output)

        # The first call registers the flow and warms the fresh server; not counted.
        warm_up = timed(partial(run_flow, []))
        print(f"warm-up flow call: {warm_up:.2f} s", flush=True)
        for name in floors:
            run_flow([], floor_call(name, f"{results_prefix}/{name}-warm-up.parquet"))
        for round_number in range(ROUNDS):
            contenders: dict[str, Callable[[], str]] = {
                "flow": partial(run_flow, flow_run_times),
                "lakebook": partial(run_lakebook, publisher, f"round{round_number}"),
                "polars": partial(
                    run_polars, store, inputs, f"{results_prefix}/polars-{round_number}.parquet"
                ),
                "pandas": partial(
                    run_pandas,
                    fs_options,
                    inputs,
                    f"{results_prefix}/pandas-{round_number}.parquet",
                ),
                **{
                    name: partial(
                        run_flow,
                        floor_run_times[name],
                        floor_call(name, f"{results_prefix}/{name}-{round_number}.parquet"),
                    )
                    for name in floors
                },
            }
            # A new order each round (seeded: reruns get the same), so none always follows the
            # same one: pandas leaves a large heap behind, and for a second after a flow call
            # Prefect's server still records its events. No pause between them: after an idle
            # second Polars took ~40 ms longer, which would flatter every ratio against it.
            order = list(contenders)
            random.Random(round_number).shuffle(order)
            for name in order:
                action = contenders[name]
                started = time.perf_counter()
                outputs[name] = action()
                timings[name].append(time.perf_counter() - started)
                print(f"round {round_number + 1} {name}: {timings[name][-1]:.2f} s", flush=True)
        check_same(store, outputs)
    finally:
        supervisor.stop_all()
        shutil.rmtree(root, ignore_errors=True)

    stats = {name: summary(seconds) for name, seconds in timings.items()}
    stats["flow_run"] = summary(flow_run_times)
    for name, seconds in floor_run_times.items():
        stats[f"{name}_run"] = summary(seconds)
    median = {name: stat["median_s"] for name, stat in stats.items()}
    write_results(
        "transform",
        {
            "orders_rows": ORDERS,
            "customers_rows": CUSTOMERS,
            "rounds": ROUNDS,
            "query": "filter status == 'paid' and amount > 20, join customers, group by "
            "region + segment: sum(amount), count(order_id), mean(quantity)",
            "load_average_during": load_average(),
            "transform_dataset_flow_run": stats["flow_run"],
            "transform_dataset_flow_call": stats["flow"],
            "lakebook_transform_logic": stats["lakebook"],
            "plain_polars": stats["polars"],
            "pandas": stats["pandas"],
            "prefect_floor_polars_in_task_run": stats["in_task_run"],
            "prefect_floor_polars_in_flow_run": stats["in_flow_run"],
            "flow_run_vs_polars": round(median["flow_run"] / median["polars"], 2),
            # The same ratio taken within each round, then the median: the two ran seconds
            # apart, so a slow spell on the shared machine slows both.
            "flow_run_vs_polars_paired": paired_ratio(flow_run_times, timings["polars"]),
            "lakebook_vs_polars_paired": paired_ratio(timings["lakebook"], timings["polars"]),
            "flow_call_vs_polars": round(median["flow"] / median["polars"], 2),
            "lakebook_vs_polars": round(median["lakebook"] / median["polars"], 2),
            "pandas_vs_flow_run": round(median["pandas"] / median["flow_run"], 2),
            # What Prefect alone costs around the same Polars query, and lakebook over that.
            "polars_in_task_run_vs_polars_paired": paired_ratio(
                floor_run_times["in_task"], timings["polars"]
            ),
            "polars_in_flow_run_vs_polars_paired": paired_ratio(
                floor_run_times["in_flow"], timings["polars"]
            ),
            "flow_run_vs_polars_in_task_run_paired": paired_ratio(
                flow_run_times, floor_run_times["in_task"]
            ),
            "pandas_vs_lakebook": round(median["pandas"] / median["lakebook"], 2),
            "targets": {"vs_polars_max": 1.3, "pandas_vs_lakebook_min": 3.0},
        },
    )


if __name__ == "__main__":
    main()
