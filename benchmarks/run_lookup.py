"""Run-lookup benchmark: `python -m benchmarks.run_lookup`.

Two lookups every read of the lake starts with, as the lake grows, on a real SeaweedFS, side by
side in one run:
1. which dataset a run published (`LakePublisher.find_run`: the gateway's
   `GET /flows/runs/{id}/result`, the kernel's `Run.result()`): through the run index
   (`processed/runs/{run_id}/`: one LIST of the run's own entries, a HEAD of the dataset's
   _SUCCESS) against one LIST of every dataset's objects, as `find_run` did until 2026-12-06;
2. a dataset's latest run (`LakePublisher.latest_run`: every transform input, `lake.scan`,
   `@lake_flow` reads): through its publication entries (`processed/published/{dataset}/`,
   newest first: one LIST of a few keys, a HEAD of the newest run's _SUCCESS) against one LIST of
   all the dataset's objects, as `latest_run` did until 2026-12-06.
The old ways are timed at their cheapest: one recursive LIST, the answer picked out of it (the
old code also read the markers of runs published within one second of each other, and these
runs are laid out within seconds). The lake grows in steps of 10 datasets; at each size the ways
take turns, in a new seeded order each round, for a run or dataset picked at random. Runs are
laid out as the publisher lays them out (output.parquet, metadata.json, the entries, _SUCCESS),
copied from one real published run rather than each published with Polars.
Writes benchmarks/results/run_lookup.json.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
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
from lakebook.lake.publisher import LakePublisher
from lakebook.lake.store import LakeStore

LAKE_SIZES = [
    int(size) for size in os.environ.get("BENCH_LOOKUP_RUNS", "10,100,1000,10000").split(",")
]
ROUNDS = int(os.environ.get("BENCH_LOOKUP_ROUNDS", 7))
DATASETS = [f"dataset_{number:02d}" for number in range(10)]
WRITERS = 8
FIRST_PUBLISH = datetime(2026, 1, 1, tzinfo=UTC)


def run_id_of(number: int) -> str:
    return f"run-{number:06d}"


def dataset_of(number: int) -> str:
    return DATASETS[number % len(DATASETS)]


def published_at_of(number: int) -> datetime:
    """Later for every run: run n of a dataset is newer than all runs before it."""
    return FIRST_PUBLISH + timedelta(milliseconds=number)


def add_runs(publisher: LakePublisher, numbers: range, template: dict[str, bytes]) -> None:
    """Lays runs out as the publisher does, the template run's files copied to each."""
    paths, store = publisher.paths, publisher.store

    def add(number: int) -> None:
        dataset, run_id, published_at = (
            dataset_of(number),
            run_id_of(number),
            published_at_of(number),
        )
        store.write_bytes(paths.run_index_key(run_id, dataset), b"")
        store.write_bytes(paths.run_data_key(dataset, run_id), template["data"])
        store.write_bytes(paths.run_metadata_key(dataset, run_id), template["metadata"])
        store.write_bytes(paths.publication_key(dataset, run_id, published_at), b"")
        marker = json.dumps({"published_at": published_at.isoformat()}).encode()
        store.write_bytes(paths.run_success_key(dataset, run_id), marker)

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        list(pool.map(add, numbers))


def find_by_listing(publisher: LakePublisher, run_id: str) -> str:
    """The dataset a run published, as before the index: every dataset's objects listed."""
    for key in publisher.store.find(publisher.paths.datasets_prefix()):
        parts = key.split("/")
        if parts[-2:] == [run_id, SUCCESS_MARKER]:
            return parts[-3]
    raise RuntimeError(f"{run_id} not found by listing")


def find_by_index(publisher: LakePublisher, run_id: str) -> str:
    return publisher.find_run(run_id).dataset


def latest_by_listing(publisher: LakePublisher, dataset: str) -> str:
    """A dataset's latest run, as before publication entries: all its objects listed, the
    newest _SUCCESS by modification time (not checked: these runs share seconds)."""
    objects = publisher.store.find(publisher.paths.dataset_prefix(dataset))
    markers = {key: info for key, info in objects.items() if key.endswith("/" + SUCCESS_MARKER)}
    newest = max(markers, key=lambda key: markers[key]["LastModified"])
    return newest.split("/")[-2]


def latest_by_entries(publisher: LakePublisher, dataset: str) -> str:
    return publisher.latest_run(dataset).run_id


def time_ways(
    publisher: LakePublisher,
    ways: Mapping[str, Callable[[LakePublisher, str], str]],
    targets: list[str],
    check: Callable[[str, str, str], None],
) -> dict[str, list[float]]:
    """Each way once per target, the ways in a new seeded order for each."""
    timings: dict[str, list[float]] = {way: [] for way in ways}
    for way in ways.values():  # warm-up: connections
        way(publisher, targets[0])
    for round_number, target in enumerate(targets):
        order = list(ways)
        random.Random(round_number).shuffle(order)
        for way in order:
            started = time.perf_counter()
            found = ways[way](publisher, target)
            timings[way].append(time.perf_counter() - started)
            check(way, target, found)
    return timings


def compared(timings: dict[str, list[float]], new: str, old: str) -> dict[str, object]:
    new_summary, old_summary = summary(timings[new]), summary(timings[old])
    ratio = old_summary["median_s"] / max(new_summary["median_s"], 0.0005)
    return {new: new_summary, old: old_summary, f"{old}_vs_{new}": round(ratio, 1)}


def measure(publisher: LakePublisher, size: int) -> dict[str, object]:
    """Both lookups, old way and new, in a lake of `size` runs, for runs picked at random."""
    picker = random.Random(size)
    numbers = [picker.randrange(size) for _ in range(ROUNDS)]

    def check_run(way: str, run_id: str, found: str) -> None:
        expected = dataset_of(int(run_id.removeprefix("run-")))
        if found != expected:
            raise RuntimeError(f"{way} found {found} for {run_id}, not {expected}")

    def check_latest(way: str, dataset: str, found: str) -> None:
        newest = max(number for number in range(size) if dataset_of(number) == dataset)
        if way == "entries" and found != run_id_of(newest):
            raise RuntimeError(f"latest of {dataset} read as {found}, not run {newest}")

    run_timings = time_ways(
        publisher,
        {"index": find_by_index, "listing": find_by_listing},
        [run_id_of(number) for number in numbers],
        check_run,
    )
    latest_timings = time_ways(
        publisher,
        {"entries": latest_by_entries, "listing": latest_by_listing},
        [dataset_of(number) for number in numbers],
        check_latest,
    )
    return {
        "runs": size,
        "runs_per_dataset": size // len(DATASETS),
        "find_run": compared(run_timings, "index", "listing"),
        "latest_run": compared(latest_timings, "entries", "listing"),
    }


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="lakebook-bench-run-lookup-"))
    settings = lake_settings(root / "lake")
    supervisor = quiet_supervisor(root)
    results: list[dict[str, object]] = []
    try:
        start_seaweed(supervisor, settings)
        publisher = LakePublisher(LakeStore.from_settings(settings))
        paths, store = publisher.paths, publisher.store
        publisher.publish(
            pl.DataFrame({"value": [1, 2, 3]}),
            dataset=dataset_of(0),
            run_id=run_id_of(0),
            flow_name="benchmark",
        )
        # Its entry is dated now; the runs laid out after it are dated from FIRST_PUBLISH.
        publisher.store.remove_prefix(paths.publications_prefix(dataset_of(0)))
        publisher.store.write_bytes(
            paths.publication_key(dataset_of(0), run_id_of(0), published_at_of(0)), b""
        )
        template = {
            "data": store.read_bytes(paths.run_data_key(dataset_of(0), run_id_of(0))),
            "metadata": store.read_bytes(paths.run_metadata_key(dataset_of(0), run_id_of(0))),
        }
        present = 1
        for size in LAKE_SIZES:
            started = time.perf_counter()
            add_runs(publisher, range(present, size), template)
            present = max(present, size)
            print(f"lake of {size} runs laid out in {time.perf_counter() - started:.1f} s")
            results.append(measure(publisher, size))
            print(f"{size} runs: {json.dumps(results[-1])}", flush=True)
    finally:
        supervisor.stop_all()
        shutil.rmtree(root, ignore_errors=True)
    write_results(
        "run_lookup",
        {"rounds": ROUNDS, "load_average_during": load_average(), "lake_sizes": results},
    )


if __name__ == "__main__":
    main()
