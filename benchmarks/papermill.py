"""Papermill benchmark: `python -m benchmarks.papermill`.

A trivial parameterised notebook (one parameters cell, one cell that adds two numbers), executed
end to end by papermill (read, inject parameters, start a python3 kernel, run, write), against
the part of that which is only starting a kernel: jupyter_client's `start_new_kernel` (which
waits until the kernel answers) and shutting it down. Median of RUNS each, alternating.
Writes benchmarks/results/papermill.json.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import nbformat
import papermill
from jupyter_client.manager import start_new_kernel

from benchmarks.common import load_average, summary, write_results

RUNS = int(os.environ.get("BENCH_PAPERMILL_RUNS", 5))
KERNEL = "python3"
STARTUP_TIMEOUT_SECONDS = 120


def trivial_notebook(path: Path) -> None:
    notebook = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell("a = 1\nb = 2")
    parameters.metadata["tags"] = ["parameters"]
    notebook.cells = [parameters, nbformat.v4.new_code_cell("total = a + b\nprint(total)")]
    notebook.metadata["kernelspec"] = {
        "name": KERNEL,
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(notebook, path)


def papermill_run(source: Path, output: Path) -> float:
    started = time.perf_counter()
    papermill.execute_notebook(
        str(source),
        str(output),
        parameters={"a": 40, "b": 2},
        kernel_name=KERNEL,
        progress_bar=False,
        start_timeout=STARTUP_TIMEOUT_SECONDS,
    )
    seconds = time.perf_counter() - started
    executed = nbformat.read(output, as_version=4)
    if "42" not in executed.cells[-1].outputs[0]["text"]:
        raise RuntimeError("papermill did not compute 40 + 2")
    return seconds


def kernel_start_and_stop() -> tuple[float, float]:
    """Seconds to a kernel that answers (start_new_kernel waits for it), and to shut it down."""
    started = time.perf_counter()
    manager, client = start_new_kernel(kernel_name=KERNEL, startup_timeout=STARTUP_TIMEOUT_SECONDS)
    ready = time.perf_counter() - started
    started = time.perf_counter()
    client.stop_channels()
    manager.shutdown_kernel(now=False)
    return ready, time.perf_counter() - started


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="lakebook-bench-papermill-"))
    timings: dict[str, list[float]] = {"papermill": [], "kernel_ready": [], "kernel_shutdown": []}
    try:
        source = root / "trivial.ipynb"
        trivial_notebook(source)
        for number in range(RUNS):
            timings["papermill"].append(papermill_run(source, root / f"out-{number}.ipynb"))
            ready, shutdown = kernel_start_and_stop()
            timings["kernel_ready"].append(ready)
            timings["kernel_shutdown"].append(shutdown)
            print(
                f"run {number + 1}: papermill {timings['papermill'][-1]:.2f} s, "
                f"kernel ready {ready:.2f} s, shutdown {shutdown:.2f} s",
                flush=True,
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)

    stats = {name: summary(seconds) for name, seconds in timings.items()}
    total = stats["papermill"]["median_s"]
    kernel = stats["kernel_ready"]["median_s"] + stats["kernel_shutdown"]["median_s"]
    write_results(
        "papermill",
        {
            "runs": RUNS,
            "kernel": KERNEL,
            "load_average_during": load_average(),
            "papermill_execute_total": stats["papermill"],
            "kernel_start_until_ready": stats["kernel_ready"],
            "kernel_shutdown": stats["kernel_shutdown"],
            "kernel_start_and_shutdown_share_of_total": round(kernel / total, 2),
            "everything_else_median_s": round(total - kernel, 3),
        },
    )


if __name__ == "__main__":
    main()
