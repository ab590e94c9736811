"""Row-group benchmark: `python -m benchmarks.row_groups`.

How fast the lake's readers read one dataset on a real SeaweedFS, by the Parquet row-group size
it was written with: DuckDB's default (122,880 rows, what the publisher wrote until 2026-12-03),
Polars' default (2**18) and the publisher's own now (2**20 for a table this narrow). The data
and the query are the transform benchmark's (10M orders of 5 columns, zstd; filter, join 100k
customers, group by): Polars `scan_parquet` ... `sink_parquet`; DuckDB on the kernel's own
connection with its cache of remote file bytes off, so that every query reads the file as the
first query after a run is published does ("duckdb"), and on, as the `%%duckdb` magic repeats a
query ("duckdb_cached"); and, for the price of bigger groups, the first 20 rows read as the
gateway's run-result preview reads them (Polars `head(20)`). Rounds take the cases in a new
seeded order each.
Writes benchmarks/results/row_groups.json.
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import duckdb
import polars as pl

from benchmarks.common import (
    lake_settings,
    load_average,
    quiet_supervisor,
    start_seaweed,
    summary,
    write_results,
)
from benchmarks.transform import GROUP_KEYS, MIN_AMOUNT, ORDERS, input_frames, run_polars
from lakebook.kernel.connection import open_connection
from lakebook.lake.publisher import COMPRESSION
from lakebook.lake.row_widths import frame_row_group_rows
from lakebook.lake.store import LakeStore

ROUNDS = int(os.environ.get("BENCH_ROW_GROUP_ROUNDS", 7))
ROW_GROUP_SIZES = {"duckdb_default": 122_880, "polars_default": 2**18, "publisher": 2**20}
BASELINE = "duckdb_default"
ENGINES = ("polars", "duckdb", "duckdb_cached", "preview")
PREVIEW_ROWS = 20

DUCKDB_QUERY = f"""
SELECT {", ".join(GROUP_KEYS)}, sum(amount) AS revenue, count(order_id) AS orders,
       avg(quantity) AS avg_quantity
FROM read_parquet($orders) JOIN read_parquet($customers) USING (customer_id)
WHERE status = 'paid' AND amount > {MIN_AMOUNT}
GROUP BY ALL
"""


def run_duckdb(connection: duckdb.DuckDBPyConnection, inputs: dict[str, str]) -> None:
    parameters = {"orders": inputs["bench_orders"], "customers": inputs["bench_customers"]}
    rows = connection.execute(DUCKDB_QUERY, parameters).fetchall()
    if not rows:
        raise RuntimeError("DuckDB's query returned no rows")


def run_preview(store: LakeStore, inputs: dict[str, str]) -> None:
    orders = pl.scan_parquet(inputs["bench_orders"], storage_options=store.polars_options)
    if orders.head(PREVIEW_ROWS).collect().height != PREVIEW_ROWS:
        raise RuntimeError("the preview read too few rows")


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="lakebook-bench-row-groups-"))
    settings = lake_settings(root / "lake")
    supervisor = quiet_supervisor(root)
    timings: dict[tuple[str, str], list[float]] = {}
    sizes: dict[str, int] = {}
    try:
        start_seaweed(supervisor, settings)
        store = LakeStore.from_settings(settings)
        frames = input_frames()
        if frame_row_group_rows(frames["bench_orders"]) != ROW_GROUP_SIZES["publisher"]:
            raise RuntimeError("the publisher no longer writes this table in 2**20-row groups")
        customers_key = "bench/customers.parquet"
        frames["bench_customers"].write_parquet(
            store.data_target(customers_key), storage_options=store.polars_options
        )
        inputs: dict[str, dict[str, str]] = {}
        for layout, rows in ROW_GROUP_SIZES.items():
            orders_key = f"bench/orders-{layout}.parquet"
            frames["bench_orders"].write_parquet(
                store.data_target(orders_key),
                compression=COMPRESSION,
                row_group_size=rows,
                storage_options=store.polars_options,
            )
            sizes[layout] = store.size(orders_key)
            inputs[layout] = {
                "bench_orders": store.data_target(orders_key),
                "bench_customers": store.data_target(customers_key),
            }
        cached = open_connection(settings)
        connection = open_connection(settings)
        connection.execute("SET enable_external_file_cache = false")
        cases: dict[tuple[str, str], Callable[[], object]] = {}
        for layout in ROW_GROUP_SIZES:
            output = store.data_target(f"bench/result-{layout}.parquet")
            cases[(layout, "polars")] = partial(run_polars, store, inputs[layout], output)
            cases[(layout, "duckdb")] = partial(run_duckdb, connection, inputs[layout])
            cases[(layout, "duckdb_cached")] = partial(run_duckdb, cached, inputs[layout])
            cases[(layout, "preview")] = partial(run_preview, store, inputs[layout])
        for action in cases.values():  # one warm-up each: footers, connections
            action()
        for round_number in range(ROUNDS):
            order = list(cases)
            random.Random(round_number).shuffle(order)
            for case in order:
                started = time.perf_counter()
                cases[case]()
                timings.setdefault(case, []).append(time.perf_counter() - started)
            print(f"round {round_number + 1} of {ROUNDS} done", flush=True)
    finally:
        supervisor.stop_all()
        shutil.rmtree(root, ignore_errors=True)

    def median(layout: str, engine: str) -> float:
        return statistics.median(timings[(layout, engine)])

    layouts: dict[str, dict[str, object]] = {}
    for layout, rows in ROW_GROUP_SIZES.items():
        layouts[layout] = {"row_group_rows": rows, "file_bytes": sizes[layout]}
        for engine in ENGINES:
            layouts[layout][engine] = summary(timings[(layout, engine)])
            ratio = median(layout, engine) / median(BASELINE, engine)
            layouts[layout][f"{engine}_vs_{BASELINE}"] = round(ratio, 2)
    write_results(
        "row_groups",
        {
            "orders_rows": ORDERS,
            "rounds": ROUNDS,
            "load_average_during": load_average(),
            "layouts": layouts,
        },
    )


if __name__ == "__main__":
    main()
