"""How long the `lakebook` command takes before it does anything: `--help`, a usage error and
`status` on a stopped stack, beside the interpreter's own start (the floor) and Prefect's CLI
(the command a Prefect user would otherwise type), in interleaved rounds."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import load_average, summary, timed, write_results

ROUNDS = 10
BIN = Path(sys.executable).parent
COMMANDS: dict[str, list[str]] = {
    "python -c pass (floor)": [sys.executable, "-c", "pass"],
    "lakebook --help": [str(BIN / "lakebook"), "--help"],
    "lakebook frob (usage error)": [str(BIN / "lakebook"), "frob"],
    "lakebook status (stopped)": [str(BIN / "lakebook"), "status"],
    "prefect --help": [str(BIN / "prefect"), "--help"],
}


def main() -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEBOOK_")}
        env["LAKEBOOK_DATA_DIR"] = data_dir
        samples: dict[str, list[float]] = {name: [] for name in COMMANDS}
        load_before = load_average()
        for _ in range(ROUNDS):
            for name, argv in COMMANDS.items():
                run = lambda argv=argv: subprocess.run(  # noqa: E731
                    argv, env=env, capture_output=True, check=False, timeout=120
                )
                samples[name].append(timed(run))
    floor = summary(samples["python -c pass (floor)"])["median_s"]
    results = {name: summary(seconds) for name, seconds in samples.items()}
    for result in results.values():
        result["above_floor_s"] = round(result["median_s"] - floor, 3)
    write_results(
        "cli_startup",
        {"rounds": ROUNDS, "load_average_at_start": load_before, "commands": results},
    )


if __name__ == "__main__":
    main()
