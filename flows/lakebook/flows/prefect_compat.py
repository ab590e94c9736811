"""Everything lakebook changes inside Prefect, and the one module that changes it.

Importing this module, or any flow, changes nothing: each entry point calls the install function
its process needs. The changes replace private parts of Prefect, so each install first checks
that the installed Prefect is one they were written for (SUPPORTED_PREFECT) and on any other
version refuses with PrefectCompatError, changing nothing.

- `install_flow_calls()`: flow calls in this process return when their run ends, not up to a
  second later (heartbeats, below). The runner's forkserver installs it for every run it forks
  (forkserver_warmup); a script or notebook that calls flows in-process with heartbeats on
  (PREFECT_FLOWS_HEARTBEAT_FREQUENCY, which `lakebook up` sets for the runner's runs and what
  they start) calls it once first.
- `install_runner()`: the embedded runner (`python -m lakebook.flows.serve`): its flow runs fork
  from a warm forkserver and receive their flows as references (warm_start.py).
- `install_server()`: the embedded Prefect server (`python -m lakebook.flows.prefect_server`):
  "database busy" answers replayed at once, a shorter wait for SQLite's lock (sqlite_busy.py).

PATCHED names every Prefect attribute they replace (install_runner also registers how Prefect's
`Flow` pickles, with copyreg). Tests check that no other lakebook module assigns into Prefect and
that importing the flows leaves all of it as Prefect made it.
"""

from __future__ import annotations

import copyreg
import inspect
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, TypeVar

import prefect

# The Prefect versions these changes were checked against, line by line.
SUPPORTED_PREFECT = ("3.9.1",)

# Every Prefect attribute lakebook replaces (module, or module and class, then the attribute).
PATCHED = (
    "prefect.flow_engine._send_heartbeats",
    "prefect.flow_engine.multiprocessing",
    "prefect.server.api.server.create_app",
    "prefect.server.database.configurations.AioSqliteConfiguration.setup_sqlite",
)

# The attribute each of lakebook's replacements carries: the Prefect value it replaced. An install
# repeated finds it and changes nothing more.
_REPLACES = "_lakebook_replaces"

T = TypeVar("T")


class PrefectCompatError(RuntimeError):
    """The installed Prefect is not one lakebook's changes to it were written for."""


def check_prefect_version() -> None:
    """Refuses (PrefectCompatError) a Prefect version outside SUPPORTED_PREFECT."""
    installed = prefect.__version__
    if installed not in SUPPORTED_PREFECT:
        supported = ", ".join(SUPPORTED_PREFECT)
        raise PrefectCompatError(
            f"lakebook's changes to Prefect were written for Prefect {supported}, but Prefect "
            f"{installed} is installed; nothing was changed. Install Prefect {supported} "
            f"(`pip install prefect=={SUPPORTED_PREFECT[-1]}`, lakebook's pin), or check each "
            f"change in lakebook/flows/prefect_compat.py against Prefect {installed} and add it "
            "to SUPPORTED_PREFECT."
        )


def _installed(current: object) -> bool:
    """True when `current`, the value of a PATCHED attribute, is lakebook's replacement."""
    return hasattr(current, _REPLACES)


def _replacing(own: object, replacement: T) -> T:
    """`replacement`, marked as lakebook's replacement of Prefect's `own`, to assign."""
    setattr(replacement, _REPLACES, own)
    return replacement


def prefects_own(value: Any) -> Any:
    """Prefect's own value behind the value of a PATCHED attribute (itself when not replaced)."""
    return getattr(value, _REPLACES, value)


# Flow calls that return as soon as their run has ended.
#
# A flow run sends heartbeats (`lakebook up` turns them on, so that a run whose process died is
# marked Crashed) from a thread that sleeps in steps of one second. Prefect's synchronous flow
# engine (3.8.8 and 3.9.1) joins that thread when the flow function returns, after the run's final
# state is set, so a flow called in a notebook or script (`transform_dataset(spec)`) returned up to
# one second after its run had ended: a no-op `ping` took 1.07 s, 0.98 s of it in that join.
#
# Prefect's async engine already leaves the thread to end on its own (`join_on_exit=False`):
# the thread sends nothing once the run has stopped it and ends within its current second.
# `install_flow_calls()` makes the synchronous engine do the same (the same `ping`: 0.12 s,
# median of 8, 2026-12-03). Runs started by the runner were never delayed: their final state is
# set before the join, and their process exits.

SendHeartbeats = Callable[..., AbstractContextManager[None]]


def heartbeats_not_joined(send_heartbeats: SendHeartbeats) -> SendHeartbeats:
    """Prefect's `_send_heartbeats`, taking Prefect's arguments, never joined on exit."""

    @contextmanager
    def send_heartbeats_not_joined(engine: Any, join_on_exit: bool = True) -> Iterator[None]:
        with send_heartbeats(engine, join_on_exit=False):
            yield

    return send_heartbeats_not_joined


def install_flow_calls() -> None:
    """Flow calls in this process stop waiting for their heartbeat thread."""
    check_prefect_version()
    import prefect.flow_engine

    own = prefect.flow_engine._send_heartbeats
    if _installed(own):
        return
    if "join_on_exit" not in inspect.signature(own).parameters:
        raise PrefectCompatError(
            "this Prefect's flow_engine._send_heartbeats takes no `join_on_exit`: flow calls "
            "would keep waiting for their heartbeat thread; nothing was changed"
        )
    prefect.flow_engine._send_heartbeats = _replacing(own, heartbeats_not_joined(own))  # type: ignore[assignment]


def install_runner(preload: Sequence[str] | None = None) -> bool:
    """The runner's flow runs fork from a forkserver started now (which imports `preload`,
    default warm_start.PRELOAD_MODULES) and receive module-level flows as references. False
    (runs stay spawned, flows copied) where there is no fork."""
    check_prefect_version()
    # Imported here, not above: the server's process never loads the flow engine or the flows.
    import prefect.flow_engine
    from prefect import Flow

    from lakebook.flows import warm_start

    own = prefect.flow_engine.multiprocessing  # type: ignore[attr-defined]
    if _installed(own):
        return True
    warm = warm_start.warm_forkserver(warm_start.PRELOAD_MODULES if preload is None else preload)
    if warm is None:
        return False
    copyreg.pickle(Flow, warm_start.reduce_flow)
    prefect.flow_engine.multiprocessing = _replacing(own, warm)  # type: ignore[attr-defined,assignment]
    return True


def install_server() -> None:
    """`prefect server start` in this process replays its busy answers and waits at most
    SQLITE_BUSY_TIMEOUT_MS for SQLite's lock."""
    check_prefect_version()
    import prefect.server.api.server
    from prefect.server.database.configurations import AioSqliteConfiguration

    from lakebook.flows.sqlite_busy import SQLITE_BUSY_TIMEOUT_MS, replaying, with_busy_timeout

    own_create_app = prefect.server.api.server.create_app
    if not _installed(own_create_app):
        prefect.server.api.server.create_app = _replacing(own_create_app, replaying(own_create_app))
    own_setup_sqlite = AioSqliteConfiguration.setup_sqlite
    if not _installed(own_setup_sqlite):
        AioSqliteConfiguration.setup_sqlite = _replacing(  # type: ignore[method-assign,assignment]
            own_setup_sqlite,
            with_busy_timeout(own_setup_sqlite, SQLITE_BUSY_TIMEOUT_MS),
        )
