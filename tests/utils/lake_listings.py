"""Records which prefixes lake stores list, to check a lookup does not list the whole lake."""

from __future__ import annotations

from typing import Any

import pytest

from lakebook.lake.store import LakeStore


def record_listings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The prefixes lake stores list with `find` from now on (the listings themselves still
    run). On S3 `first_keys` lists without `find`; on a local lake it goes through it."""
    listed: list[str] = []
    find = LakeStore.find

    def recording_find(store: LakeStore, prefix: str) -> dict[str, dict[str, Any]]:
        listed.append(prefix)
        return find(store, prefix)

    monkeypatch.setattr(LakeStore, "find", recording_find)
    return listed
