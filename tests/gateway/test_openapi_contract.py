"""The gateway's HTTP API only grows: every path, operation and schema of the published document
(tests/gateway/openapi_2026-12-06.json, taken before the architecture refactor) is still there,
unchanged. New routes, fields and schemas may be added."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lakebook.common.settings import reset_settings
from lakebook.gateway.main import create_app

PUBLISHED = Path(__file__).with_name("openapi_2026-12-06.json")


def removals(published: Any, current: Any, where: str = "") -> list[str]:
    """Where `current` drops or changes something `published` has; a dict may gain keys."""
    if isinstance(published, dict) and isinstance(current, dict):
        found = []
        for key, value in published.items():
            if key not in current:
                found.append(f"{where}[{key}]: removed")
            else:
                found.extend(removals(value, current[key], f"{where}[{key}]"))
        return found
    return [] if published == current else [f"{where}: {published!r} became {current!r}"]


def test_additions_only_finds_a_removal_and_a_change() -> None:
    published = {"paths": {"/a": {"get": {"x": 1}}, "/b": {}}}
    current = {"paths": {"/a": {"get": {"x": 2}, "post": {}}, "/c": {}}}
    assert removals(published, current) == [
        "[paths][/a][get][x]: 1 became 2",
        "[paths][/b]: removed",
    ]


def test_the_api_only_grows(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LAKEBOOK_DEV_MODE", "true")
    monkeypatch.setenv("LAKEBOOK_DATA_DIR", str(tmp_path))
    reset_settings()
    try:
        document = create_app().openapi()
    finally:
        reset_settings()
    assert removals(json.loads(PUBLISHED.read_text()), document) == []
