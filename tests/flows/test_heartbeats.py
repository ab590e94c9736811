"""Flow calls do not wait for their heartbeat thread (prefect_compat.install_flow_calls)."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager

import prefect.flow_engine
import pytest

from lakebook.flows import prefect_compat
from lakebook.flows.prefect_compat import PrefectCompatError, install_flow_calls


@pytest.fixture
def restores_heartbeats(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever a test installs is undone after it."""
    monkeypatch.setattr(
        prefect.flow_engine, "_send_heartbeats", prefect.flow_engine._send_heartbeats
    )


@pytest.mark.usefixtures("restores_heartbeats")
def test_installing_it_replaces_prefects_heartbeats_once() -> None:
    install_flow_calls()
    installed = prefect.flow_engine._send_heartbeats
    assert installed is not prefect_compat.prefects_own(installed)
    install_flow_calls()
    assert prefect.flow_engine._send_heartbeats is installed


@pytest.mark.usefixtures("restores_heartbeats")
def test_the_sync_engine_asks_prefect_not_to_join_the_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[tuple[object, bool]] = []

    @contextmanager
    def prefect_heartbeats(engine: object, join_on_exit: bool = True) -> Iterator[None]:
        asked.append((engine, join_on_exit))
        yield

    monkeypatch.setattr(prefect.flow_engine, "_send_heartbeats", prefect_heartbeats)
    install_flow_calls()
    engine = object()
    # How Prefect 3.9.1's synchronous engine calls it (FlowRunEngine.run_context).
    with prefect.flow_engine._send_heartbeats(engine):  # type: ignore[arg-type]
        pass
    assert asked == [(engine, False)]


@pytest.mark.usefixtures("restores_heartbeats")
def test_a_prefect_without_the_option_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    @contextmanager
    def older_heartbeats(engine: object) -> Iterator[None]:
        yield

    monkeypatch.setattr(prefect.flow_engine, "_send_heartbeats", older_heartbeats)
    with pytest.raises(PrefectCompatError, match="join_on_exit"):
        install_flow_calls()
    assert prefect.flow_engine._send_heartbeats is older_heartbeats


@pytest.mark.usefixtures("restores_heartbeats")
def test_prefect_still_has_the_option_this_relies_on() -> None:
    """Prefect's async engine passes join_on_exit=False; if an upgrade drops the option, this
    says so here rather than in every flow call."""
    install_flow_calls()
    original = prefect_compat.prefects_own(prefect.flow_engine._send_heartbeats)
    assert "join_on_exit" in inspect.signature(original).parameters
