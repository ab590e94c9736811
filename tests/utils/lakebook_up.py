"""`lakebook up` as a user runs it, in a subprocess on free ports, for fixtures that need the
whole command (not the services one by one): started, waited for, stopped by its PID."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.utils.ports import stack_port_env
from tests.utils.waiting import wait_until

LAKEBOOK = [sys.executable, "-m", "lakebook.cli.main"]


@dataclass(frozen=True)
class RunningUp:
    process: subprocess.Popen[bytes]
    env: dict[str, str]
    data_dir: Path
    output: Path

    def variables(self) -> dict[str, str]:
        """The LAKEBOOK_* settings it runs with, as `load_settings(...)` takes them."""
        return {
            name.removeprefix("LAKEBOOK_").lower(): value
            for name, value in self.env.items()
            if name.startswith("LAKEBOOK_")
        }


@contextmanager
def lakebook_up(
    root: Path, *args: str, services: int, extra_env: dict[str, str] | None = None
) -> Iterator[RunningUp]:
    """`lakebook up ARGS` with its data in `root/data`, until all `services` are healthy (the
    state file lists each once spawned; the last one's health says all are up); then SIGINT,
    and SIGKILL of its process group if it does not stop within 90 s."""
    data_dir = root / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAKEBOOK_", "PREFECT_"))}
    env |= stack_port_env() | {"LAKEBOOK_DATA_DIR": str(data_dir)} | (extra_env or {})
    output = root / "lakebook-up.log"
    with output.open("wb") as log:
        process = subprocess.Popen(
            [*LAKEBOOK, "up", *args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=root,
            start_new_session=True,
        )
    state_file = data_dir / "run" / "stack.json"

    def all_up() -> bool:
        if process.poll() is not None:
            raise AssertionError(
                f"lakebook up exited with {process.returncode}: {output.read_text()}"
            )
        if not state_file.exists():
            return False
        listed = json.loads(state_file.read_text())["services"]
        if len(listed) != services:
            return False
        try:
            return httpx.get(listed[-1]["health_url"], timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(all_up, awaiting="lakebook up to bring every service up", timeout=240)
        yield RunningUp(process, env, data_dir, output)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=90)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
