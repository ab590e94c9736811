"""Files only their owner may read: secrets, tokens, credentials."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

PRIVATE_FILE_MODE = 0o600


def write_private_json(path: Path, content: dict[str, Any]) -> None:
    """Writes JSON readable only by its owner; the file never exists with wider permissions, and
    readers see the old content or the new, never half of it (written aside, then renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_name(f".{path.name}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(content, handle, indent=2)
    os.chmod(partial, PRIVATE_FILE_MODE)
    os.replace(partial, path)
