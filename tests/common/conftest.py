"""The settings tests read a known environment: no LAKEBOOK_* from the outside, no .env file,
no cached settings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lakebook.common.settings import reset_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No LAKEBOOK_* from the outside, a working dir without .env, and no cached settings; the
    data dir is the test's own. Returns the working dir."""
    for name in list(os.environ):
        if name.startswith("LAKEBOOK_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LAKEBOOK_DATA_DIR", str(tmp_path / "data"))
    reset_settings()
    return tmp_path
