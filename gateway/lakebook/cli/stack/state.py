"""The state file a running `lakebook up` keeps (its pid and its services), and who is alive."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from lakebook.common.settings import Settings


def state_file(settings: Settings) -> Path:
    return settings.data_dir / "run" / "stack.json"


def read_state(settings: Settings) -> dict[str, Any] | None:
    try:
        state: dict[str, Any] = json.loads(state_file(settings).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return state


def live_supervisor_pid(settings: Settings) -> int | None:
    state = read_state(settings)
    if state is None:
        return None
    pid = int(state["pid"])
    return pid if process_alive(pid) else None


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
