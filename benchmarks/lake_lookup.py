"""`lake.*` lookup benchmark: `python -m benchmarks.lake_lookup`.

What `%%duckdb` adds over raw DuckDB to a query that reads the lake when nothing changed, on a
real SeaweedFS, in one real ipykernel, side by side in one run:
- the magic, checking before every query (the default, `lake_listing_seconds = 0`): one LIST of
  the change markers, no lookup;
- the magic trusting its last check (`lake_listing_seconds = 3600`): no request at all;
- the magic on datasets without change markers (published before markers existed): every query
  looks each dataset up (LIST + HEAD), which is what every query paid before markers once the
  2 s reuse window had lapsed;
- raw DuckDB in the same kernel, on the same httpfs connection set-up, reading the runs' files.
The group-by reads one dataset of 1M or 10M rows, or two (a 1M-row join of both), so the fixed
cost (lookups) separates from the per-row cost (the scan). The lookup alone (the magic's
`_prepare_lake`) is timed too. Rounds take turns in a new seeded order; medians.
Writes benchmarks/results/lake_lookup.json.
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.common import (
    lake_env,
    lake_settings,
    load_average,
    quiet_supervisor,
    start_seaweed,
    write_results,
)
from benchmarks.kernel import KernelMagic, sales
from lakebook.lake.publisher import LakePublisher
from lakebook.lake.store import LakeStore

ROUNDS = int(os.environ.get("BENCH_LOOKUP_QUERY_ROUNDS", 15))
GROUP_BY = (
    "SELECT region, count(*) AS orders, sum(amount) AS amount FROM {t0} "
    "GROUP BY region ORDER BY region"
)
TWO_DATASETS = (
    "SELECT a.region, count(*) AS orders, sum(b.amount) AS amount FROM {t0} AS a "
    "JOIN {t1} AS b USING (order_id) GROUP BY a.region ORDER BY a.region"
)
LOOKUP_SETUP = """
_magic = next(m for m in ip.configurables if type(m).__name__ == "DuckDBMagic")
def _lookup_once(names):
    started = time.perf_counter()
    _magic._prepare_lake(names, {})
    return (time.perf_counter() - started) * 1000
def _window(seconds):
    ip.run_line_magic("config", f"DuckDBMagic.lake_listing_seconds = {seconds}")
"""


DATASETS = {"sales_1m": 1_000_000, "sales_10m": 10_000_000, "other_1m": 1_000_000}


def publish_datasets(publisher: LakePublisher) -> dict[str, str]:
    """Each dataset twice, with a change marker and without; returns their data URIs."""
    uris = {}
    for name, rows in DATASETS.items():
        frame = sales(rows)
        for kind in ("marked", "unmarked"):
            dataset = f"{name}_{kind}"
            publisher.publish(frame, dataset=dataset, run_id="bench-1", flow_name="benchmark")
            if kind == "unmarked":
                publisher.store.remove(publisher.paths.change_marker_key(dataset))
            uris[dataset] = publisher.latest_run(dataset).data_uri
        del frame
    return uris


def queries(uris: dict[str, str]) -> dict[str, dict[str, tuple[str, str | None]]]:
    """Per workload, per way: (SQL, the window to set, or None for raw DuckDB)."""

    def ways(template: str, names: list[str]) -> dict[str, tuple[str, str | None]]:
        marked = {f"t{i}": f"lake.{name}_marked" for i, name in enumerate(names)}
        unmarked = {f"t{i}": f"lake.{name}_unmarked" for i, name in enumerate(names)}
        raw = {f"t{i}": f"read_parquet('{uris[name + '_marked']}')" for i, name in enumerate(names)}
        return {
            "magic, checked every query (default)": (template.format(**marked), "0"),
            "magic, last check trusted (window 3600 s)": (template.format(**marked), "3600"),
            "magic, no change markers (a lookup per dataset)": (template.format(**unmarked), "0"),
            "raw DuckDB in the same kernel": (template.format(**raw), None),
        }

    return {
        "one dataset, 1M rows": ways(GROUP_BY, ["sales_1m"]),
        "one dataset, 10M rows": ways(GROUP_BY, ["sales_10m"]),
        "two datasets (join), 1M rows each": ways(TWO_DATASETS, ["sales_1m", "other_1m"]),
    }


def measure(magic: KernelMagic, ways: dict[str, tuple[str, str | None]]) -> dict[str, list[float]]:
    """Milliseconds per query of each way, after one warm-up each (DuckDB's caches warm)."""
    times: dict[str, list[float]] = {way: [] for way in ways}

    def run(way: str) -> float:
        sql, window = ways[way]
        if window is None:
            return magic.run_raw(sql)
        magic.execute(f"_window({window})")
        return magic.run(sql)

    for way in ways:
        run(way)
    # The ways of one round run moments apart (paired in `summary`), in a new order each round.
    for round_number in range(ROUNDS):
        order = list(ways)
        random.Random(round_number).shuffle(order)
        for way in order:
            times[way].append(run(way))
    return times


def lookup_alone(magic: KernelMagic, names: list[str], window: str) -> list[float]:
    magic.execute(f"_window({window})")
    magic.execute(f"_lookup_once({names!r})")
    return [float(magic.execute(f"print(_lookup_once({names!r}))")) for _ in range(ROUNDS)]


def summary(times: list[float], raw: list[float]) -> dict[str, Any]:
    """Median and min, and the paired difference to raw DuckDB: the median of each round's own
    difference (the two ran moments apart, so a slow spell slows both)."""
    paired = [way - baseline for way, baseline in zip(times, raw, strict=True)]
    return {
        "median_ms": round(statistics.median(times), 2),
        "min_ms": round(min(times), 2),
        "over_raw_duckdb_paired_ms": round(statistics.median(paired), 2),
        "runs_ms": [round(value, 2) for value in times],
    }


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="lakebook-bench-lake-lookup-"))
    settings = lake_settings(root / "lake", lake_url="s3://lakebook-bench/lake")
    supervisor = quiet_supervisor(root)
    load_before = load_average()
    try:
        start_seaweed(supervisor, settings)
        publisher = LakePublisher(LakeStore.from_settings(settings))
        uris = publish_datasets(publisher)
        magic = KernelMagic({**os.environ, **lake_env(settings)})
        try:
            magic.execute(LOOKUP_SETUP)
            results: dict[str, Any] = {}
            for workload, ways in queries(uris).items():
                times = measure(magic, ways)
                raw = times["raw DuckDB in the same kernel"]
                results[workload] = {way: summary(times[way], raw) for way in ways}
                print(workload, {way: results[workload][way]["median_ms"] for way in ways})
            lookups = {
                "one dataset, checked (one LIST of the markers)": lookup_alone(
                    magic, ["sales_1m_marked"], "0"
                ),
                "two datasets, checked (one LIST of the markers)": lookup_alone(
                    magic, ["sales_1m_marked", "other_1m_marked"], "0"
                ),
                "one dataset without a marker (LIST + HEAD)": lookup_alone(
                    magic, ["sales_1m_unmarked"], "0"
                ),
                "two datasets without markers (side by side)": lookup_alone(
                    magic, ["sales_1m_unmarked", "other_1m_unmarked"], "0"
                ),
                "one dataset, last check trusted": lookup_alone(magic, ["sales_1m_marked"], "3600"),
            }
        finally:
            magic.close()
    finally:
        supervisor.stop_all()
        shutil.rmtree(root, ignore_errors=True)
    write_results(
        "lake_lookup",
        {
            "rounds": ROUNDS,
            "load_average_at_start": load_before,
            "load_average_at_end": load_average(),
            "queries": results,
            "lookup_alone_ms": {
                name: {
                    "median_ms": round(statistics.median(values), 2),
                    "min_ms": round(min(values), 2),
                    "runs_ms": [round(value, 2) for value in values],
                }
                for name, values in lookups.items()
            },
        },
    )


if __name__ == "__main__":
    main()
