"""Run-lookup benchmark: `python -m benchmarks.run_lookup`.

How long the gateway's `GET /flows/runs/{id}/result` takes to find which dataset a run
published (`LakePublisher.find_run`), as the lake grows, on a real SeaweedFS, side by side in one
run: through the run index (`processed/runs/{run_id}/`: one LIST of the run's own entries, a HEAD
of each dataset's _SUCCESS) and by listing every dataset, as `find_run` did until 2026-12-06 (and
still does for a run published before runs were indexed). The lake grows in steps; at each size
the two ways take turns, in a new seeded order each round, looking up runs picked at random.
Runs are laid out as the publisher lays them out (output.parquet, metadata.json, _SUCCESS, the
index entry), copied from one real published run rather than each published with Polars.
Writes benchmarks/results/run_lookup.json.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl

from benchmarks.common import (
    lake_settings,
    load_average,
    quiet_supervisor,
    start_seaweed,
    summary,
    write_results,
)
from lakebook.common.lake import SUCCESS_MARKER
from lakebook.flows.lake_store import LakeStore
from lakebook.flows.publisher import LakePublisher

LAKE_SIZES = [
    int(size) for size in os.environ.get("BENCH_LOOKUP_RUNS", "100,1000,10000").split(",")
]
ROUNDS = int(os.environ.get("BENCH_LOOKUP_ROUNDS", 7))
DATASETS = [f"dataset_{number:02d}" for number in range(10)]
WRITERS = 8


def run_id_of(number: int) -> str:
    return f"run-{number:06d}"


def dataset_of(number: int) -> str:
    return DATASETS[number % len(DATASETS)]


def add_runs(publisher: LakePublisher, numbers: range, template: dict[str, bytes]) -> None:
    """Lays runs out as the publisher does, the template run's files copied to each."""
    paths, store = publisher.paths, publisher.store

    def add(number: int) -> None:
        dataset, run_id = dataset_of(number), run_id_of(number)
        store.write_bytes(paths.run_index_key(run_id, dataset), b"")
        store.write_bytes(paths.run_data_key(dataset, run_id), template["data"])
        store.write_bytes(paths.run_metadata_key(dataset, run_id), template["metadata"])
        store.write_bytes(paths.run_success_key(dataset, run_id), template["success"])

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        list(pool.map(add, numbers))


def find_by_listing(publisher: LakePublisher, run_id: str) -> str:
    """The lookup before the index, at its cheapest: one recursive LIST of every dataset's
    objects, the run's _SUCCESS picked out (the old code then also read the markers of runs
    published within one second of each other; these runs are laid out within seconds)."""
    for key in publisher.store.find(publisher.paths.datasets_prefix()):
        parts = key.split("/")
        if parts[-2:] == [run_id, SUCCESS_MARKER]:
            return parts[-3]
    raise RuntimeError(f"{run_id} not found by listing")


def find_by_index(publisher: LakePublisher, run_id: str) -> str:
    return publisher.find_run(run_id).dataset


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="lakebook-bench-run-lookup-"))
    settings = lake_settings(root / "lake")
    supervisor = quiet_supervisor(root)
    results: list[dict[str, object]] = []
    try:
        start_seaweed(supervisor, settings)
        publisher = LakePublisher(LakeStore.from_settings(settings))
        publisher.publish(
            pl.DataFrame({"value": [1, 2, 3]}),
            dataset=dataset_of(0),
            run_id=run_id_of(0),
            flow_name="benchmark",
        )
        paths, store = publisher.paths, publisher.store
        template = {
            "data": store.read_bytes(paths.run_data_key(dataset_of(0), run_id_of(0))),
            "metadata": store.read_bytes(paths.run_metadata_key(dataset_of(0), run_id_of(0))),
            "success": store.read_bytes(paths.run_success_key(dataset_of(0), run_id_of(0))),
        }
        present = 1
        for size in LAKE_SIZES:
            started = time.perf_counter()
            add_runs(publisher, range(present, size), template)
            present = max(present, size)
            print(f"lake of {size} runs laid out in {time.perf_counter() - started:.1f} s")
            picker = random.Random(size)
            ways: dict[str, Callable[[LakePublisher, str], str]] = {
                "index": find_by_index,
                "listing": find_by_listing,
            }
            timings: dict[str, list[float]] = {way: [] for way in ways}
            for way in ways.values():  # warm-up: connections
                way(publisher, run_id_of(0))
            for round_number in range(ROUNDS):
                number = picker.randrange(size)
                order = list(ways)
                random.Random(round_number).shuffle(order)
                for way in order:
                    started = time.perf_counter()
                    found = ways[way](publisher, run_id_of(number))
                    timings[way].append(time.perf_counter() - started)
                    if found != dataset_of(number):
                        raise RuntimeError(f"{way} found {found} for run {number}")
            index, listing = summary(timings["index"]), summary(timings["listing"])
            ratio = listing["median_s"] / max(index["median_s"], 0.0005)
            results.append(
                {
                    "runs": size,
                    "objects_listed_by_listing": 3 * size,
                    "index": index,
                    "listing": listing,
                    "listing_vs_index": round(ratio, 1),
                }
            )
            print(f"{size} runs: index {index['median_s']} s, listing {listing['median_s']} s")
    finally:
        supervisor.stop_all()
        shutil.rmtree(root, ignore_errors=True)
    write_results(
        "run_lookup",
        {"rounds": ROUNDS, "load_average_during": load_average(), "lake_sizes": results},
    )


if __name__ == "__main__":
    main()
