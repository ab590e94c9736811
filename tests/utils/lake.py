"""Pointing lakebook at a test lake, and a small frame tests publish to it."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from lakebook.common.settings import Settings

SALES = pl.DataFrame(
    {"region": ["north", "south", "east"], "amount": [100.0, 80.5, 62.0], "units": [3, 2, 1]}
)


def use_lake(monkeypatch: pytest.MonkeyPatch, settings: Settings, data_dir: Path) -> None:
    """Points `get_settings()` (here and in kernels or flows started from here) at a lake."""
    monkeypatch.setenv("LAKEBOOK_DATA_DIR", str(data_dir))
    monkeypatch.setenv("LAKEBOOK_LAKE_URL", settings.s3.lake_root)
    if settings.s3.lake_root.startswith("s3://"):
        monkeypatch.setenv("LAKEBOOK_S3_ENDPOINT_URL", settings.s3.url)
        monkeypatch.setenv("LAKEBOOK_S3_BUCKET", settings.s3.bucket)
        monkeypatch.setenv("LAKEBOOK_S3_ACCESS_KEY_ID", settings.require_secret("s3_access_key_id"))
        monkeypatch.setenv(
            "LAKEBOOK_S3_SECRET_ACCESS_KEY", settings.require_secret("s3_secret_access_key")
        )
