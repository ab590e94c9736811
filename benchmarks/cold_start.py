"""Kernel cold-start benchmark: `python -m benchmarks.cold_start`.

What a notebook's first query costs in a fresh ipykernel, side by side in one run: the same
group-by over a local Parquet file (1M and 10M rows) as the first thing a new kernel does,
- raw DuckDB: `import duckdb` + `duckdb.sql(...).fetchall()`;
- raw DuckDB into Polars: `import duckdb, polars` + `polars.DataFrame(duckdb.sql(...))`, the result
  type `%%duckdb` hands back;
- lakebook: `%load_ext lakebook.kernel` + `%%duckdb -o out ...`, with the lake on S3 as in a Lab
  kernel (its keys set; the query does not touch the lake, so no S3 server is needed).
`BENCH_COLD_BASELINE=DIR` adds the same lakebook cell run with an earlier `kernel_lib` (e.g. one
`git archive <commit> kernel_lib | tar -x -C DIR` made) first on the kernel's PYTHONPATH, so the
code before a change is measured in the same run.
Every case gets a new kernel each round (the kernel's own start is not counted: it is the same
for all); the time is measured inside the kernel around the cell's work. Rounds take turns in a
new seeded order. A fixed + per-row fit over the two sizes separates the start-up from the scan.
Writes benchmarks/results/cold_start.json.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
from pathlib import Path
from typing import Any

from jupyter_client.manager import KernelManager

from benchmarks.common import load_average, write_results
from benchmarks.kernel import sales

ROUNDS = int(os.environ.get("BENCH_COLD_ROUNDS", 7))
SIZES = [int(size) for size in os.environ.get("BENCH_COLD_ROWS", "1000000,10000000").split(",")]
SQL = (
    "SELECT region, count(*) AS orders, sum(amount) AS amount, avg(units) AS units "
    "FROM read_parquet('{path}') GROUP BY region ORDER BY region"
)
# Each cell prints the seconds of its own work: imports, set-up and the first query.
CELLS = {
    "raw DuckDB": (
        "import time as _t\n_s = _t.perf_counter()\nimport duckdb\n"
        "duckdb.sql({sql!r}).fetchall()\nprint(_t.perf_counter() - _s)"
    ),
    "raw DuckDB into Polars": (
        "import time as _t\n_s = _t.perf_counter()\nimport duckdb, polars\n"
        "polars.DataFrame(duckdb.sql({sql!r}))\nprint(_t.perf_counter() - _s)"
    ),
    "lakebook %load_ext + %%duckdb": (
        "import time as _t\n_s = _t.perf_counter()\n_ip = get_ipython()\n"
        "_ip.run_line_magic('load_ext', 'lakebook.kernel')\n"
        "_ip.run_cell_magic('duckdb', '-o out', {sql!r})\nprint(_t.perf_counter() - _s)"
    ),
}
TARGET_SECONDS_OVER_RAW = 0.25
BASELINE = os.environ.get("BENCH_COLD_BASELINE")
BASELINE_CASE = "lakebook before (BENCH_COLD_BASELINE)"
if BASELINE:
    CELLS[BASELINE_CASE] = CELLS["lakebook %load_ext + %%duckdb"]


def kernel_env(root: Path) -> dict[str, str]:
    """A Lab kernel's lake settings (S3, keys set), none of the caller's LAKEBOOK_*."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("LAKEBOOK_")}
    return env | {
        "LAKEBOOK_DATA_DIR": str(root),
        "LAKEBOOK_LAKE_URL": "s3://bench/lake",
        "LAKEBOOK_S3_ENDPOINT_URL": "http://127.0.0.1:9",
        "LAKEBOOK_S3_ACCESS_KEY_ID": "LBBENCHCOLDSTART",
        "LAKEBOOK_S3_SECRET_ACCESS_KEY": "cold-start-benchmark-secret-key",
    }


def case_env(case: str, env: dict[str, str]) -> dict[str, str]:
    if case != BASELINE_CASE or not BASELINE:
        return env
    return env | {"PYTHONPATH": str(Path(BASELINE).resolve() / "kernel_lib")}


def first_cell_seconds(code: str, env: dict[str, str]) -> float:
    """Starts a kernel, runs one cell, returns the seconds the cell measured itself."""
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(env=env)
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=120)
        output: list[str] = []

        def keep_stdout(message: dict[str, Any]) -> None:
            if message["msg_type"] == "stream" and message["content"]["name"] == "stdout":
                output.append(message["content"]["text"])

        reply = client.execute_interactive(code, timeout=300, output_hook=keep_stdout)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"cold-start cell failed: {reply['content']}")
        return float("".join(output).strip().splitlines()[-1])
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def fit(points: dict[int, float]) -> dict[str, float]:
    """Fixed seconds and nanoseconds per row through the two (or more) sizes' medians."""
    sizes = sorted(points)
    slope, intercept = statistics.linear_regression(sizes, [points[size] for size in sizes])
    return {"fixed_s": round(intercept, 3), "per_row_ns": round(slope * 1e9, 2)}


def main() -> None:
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="lakebook-bench-cold-") as folder:
        root = Path(folder)
        files = {}
        for rows in SIZES:
            files[rows] = root / f"sales-{rows}.parquet"
            sales(rows).write_parquet(files[rows])
        env = kernel_env(root)
        samples: dict[int, dict[str, list[float]]] = {
            rows: {case: [] for case in CELLS} for rows in SIZES
        }
        for round_number in range(ROUNDS):
            for rows in SIZES:
                order = list(CELLS)
                random.Random(round_number * 31 + rows).shuffle(order)
                for case in order:
                    sql = SQL.format(path=files[rows])
                    samples[rows][case].append(
                        first_cell_seconds(CELLS[case].format(sql=sql), case_env(case, env))
                    )
            print(f"round {round_number + 1}/{ROUNDS} done", flush=True)
    medians = {
        rows: {case: statistics.median(values) for case, values in by_case.items()}
        for rows, by_case in samples.items()
    }
    by_size = {}
    for rows, by_case in samples.items():
        raw = medians[rows]["raw DuckDB"]
        lakebook = medians[rows]["lakebook %load_ext + %%duckdb"]
        by_size[str(rows)] = {
            "cases": {
                case: {
                    "median_s": round(medians[rows][case], 3),
                    "min_s": round(min(values), 3),
                    "samples_s": [round(value, 3) for value in values],
                    "over_raw_duckdb_s": round(medians[rows][case] - raw, 3),
                }
                for case, values in by_case.items()
            },
            "target_lakebook_within_raw_plus_0.25s": lakebook <= raw + TARGET_SECONDS_OVER_RAW,
        }
    fits = {case: fit({rows: medians[rows][case] for rows in SIZES}) for case in CELLS}
    write_results(
        "cold_start",
        {
            "rounds": ROUNDS,
            "rows": SIZES,
            "query": SQL,
            "load_average_at_start": load_before,
            "sizes": by_size,
            "fixed_and_per_row": fits if len(SIZES) > 1 else {},
        },
    )


if __name__ == "__main__":
    main()
