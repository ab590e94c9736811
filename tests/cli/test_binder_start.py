"""binder/start as Binder runs it: the embedded stack starts in the background and the command
it was given runs at once beside it (Binder's JupyterLab there, a probe here)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from tests.utils.ports import stack_port_env

pytestmark = pytest.mark.stack

START = Path(__file__).resolve().parents[2] / "binder" / "start"
# What a kernel in Binder does first: sign in with the token `lakebook up` saved, once the
# gateway answers (bounded, like every wait in the suite).
PROBE = """
import time
from lakebook.kernel import connect
from lakebook.kernel.errors import LakebookError

deadline = time.monotonic() + 240
while True:
    try:
        me = connect().me()
        break
    except LakebookError:
        if time.monotonic() > deadline:
            raise
        time.sleep(1)
print(f"signed in as {me.name} ({me.role})")
"""


def test_start_runs_the_stack_beside_the_command(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAKEBOOK_", "PREFECT_"))}
    env |= stack_port_env() | {"HOME": str(tmp_path)}
    # The `lakebook` command of this environment, as Binder's image has it on its PATH.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    state_file = tmp_path / ".lakebook" / "run" / "stack.json"
    try:
        probe = subprocess.run(
            [str(START), sys.executable, "-c", PROBE],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        log = (tmp_path / "lakebook-up.log").read_text()
        assert probe.returncode == 0, f"{probe.stderr}\n--- lakebook up:\n{log}"
        assert probe.stdout.strip() == "signed in as admin (admin)"
        assert json.loads(state_file.read_text())["services"][-1]["name"] == "gateway"
    finally:
        # binder/start leaves the stack running after its command (Binder's Lab) ends; it is
        # the one `lakebook up` whose data dir is in this test's HOME.
        data_dir = str(tmp_path / ".lakebook")
        for process in psutil.process_iter(["cmdline"]):
            cmdline = process.info["cmdline"] or []
            if "up" in cmdline and data_dir in cmdline:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=90)
        assert not state_file.exists(), "lakebook up did not clean up its state file"
