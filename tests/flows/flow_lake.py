"""Points the flows' `load_settings()` at a test lake and the session's Prefect server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from prefect.settings import PREFECT_API_URL, PREFECT_LOGGING_TO_API_ENABLED, temporary_settings

from lakebook.common.settings import Settings
from tests.conftest import use_lake


@contextmanager
def flows_use_lake(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, data_dir: Path, prefect_api_url: str
) -> Iterator[None]:
    """Flows build their store from `LAKEBOOK_*` variables, exactly as under the runner."""
    use_lake(monkeypatch, settings, data_dir)
    # Run logs stay local: shipping them to the API outlives the session's Prefect server and
    # ends the test session with "Error logging to API" noise.
    overrides = {PREFECT_API_URL: prefect_api_url, PREFECT_LOGGING_TO_API_ENABLED: False}
    with temporary_settings(overrides):
        yield
