"""The `lakebook` command as a user runs it against a test flow stack: a subprocess with only
the data dir and the gateway's URL from the stack (no other LAKEBOOK_* of the test's own)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.utils.services import FlowStack

LAKEBOOK = [sys.executable, "-m", "lakebook.cli.main"]


def lakebook(
    stack: FlowStack, data_dir: Path, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEBOOK_")}
    env |= {"LAKEBOOK_DATA_DIR": str(data_dir), "LAKEBOOK_GATEWAY_URL": stack.gateway.url}
    return subprocess.run(
        [*LAKEBOOK, *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )
