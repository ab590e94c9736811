"""Flow calls do not wait for their heartbeat thread (lakebook.flows.heartbeats)."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager

import prefect.flow_engine
import pytest

import lakebook.flows.lake_tasks  # noqa: F401  (installs the change, as every lake flow does)
from lakebook.flows import heartbeats


def test_every_lake_flow_module_installs_it() -> None:
    assert prefect.flow_engine._send_heartbeats is heartbeats._heartbeats_not_joined


def test_the_sync_engine_asks_prefect_not_to_join_the_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[tuple[object, bool]] = []

    @contextmanager
    def prefect_heartbeats(engine: object, join_on_exit: bool = True) -> Iterator[None]:
        asked.append((engine, join_on_exit))
        yield

    monkeypatch.setattr(heartbeats, "_ORIGINAL", prefect_heartbeats)
    engine = object()
    # How Prefect 3.8.8's synchronous engine calls it (FlowRunEngine.run_context).
    with prefect.flow_engine._send_heartbeats(engine):  # type: ignore[arg-type]
        pass
    assert asked == [(engine, False)]


def test_a_prefect_without_the_option_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    @contextmanager
    def older_heartbeats(engine: object) -> Iterator[None]:
        yield

    monkeypatch.setattr(heartbeats, "_ORIGINAL", older_heartbeats)
    monkeypatch.setattr(prefect.flow_engine, "_send_heartbeats", older_heartbeats)
    assert not heartbeats.return_without_heartbeat_wait()
    assert prefect.flow_engine._send_heartbeats is older_heartbeats


def test_prefect_still_has_the_option_this_relies_on() -> None:
    """Prefect's async engine passes join_on_exit=False; if an upgrade drops the option, this
    says so here rather than in every flow call."""
    original = heartbeats._ORIGINAL
    assert original is not None
    assert "join_on_exit" in inspect.signature(original).parameters
