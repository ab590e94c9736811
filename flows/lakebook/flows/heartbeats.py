"""Flow calls that return as soon as their run has ended.

A flow run sends heartbeats (`lakebook up` turns them on, so that a run whose process died is
marked Crashed) from a thread that sleeps in steps of one second. Prefect 3.8.8's synchronous
flow engine joins that thread when the flow function returns, after the run's final state is
set, so a flow called in a notebook or script (`transform_dataset(spec)`) returned up to one
second after its run had ended: a no-op `ping` took 1.07 s, 0.98 s of it in that join.

Prefect's async engine already leaves the thread to end on its own (`join_on_exit=False`):
the thread sends nothing once the run has stopped it and ends within its current second.
`return_without_heartbeat_wait()` makes the synchronous engine do the same. Runs started by the
runner were never delayed: their final state is set before the join, and their process exits.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import prefect.flow_engine

_ORIGINAL: Callable[..., AbstractContextManager[None]] | None = getattr(
    prefect.flow_engine, "_send_heartbeats", None
)


@contextmanager
def _heartbeats_not_joined(engine: Any, join_on_exit: bool = True) -> Iterator[None]:
    """Prefect's heartbeats for a run, taking Prefect's arguments; never joined on exit."""
    assert _ORIGINAL is not None
    with _ORIGINAL(engine, join_on_exit=False):
        yield


def return_without_heartbeat_wait() -> bool:
    """Stops flow calls in this process waiting for their heartbeat thread. False (and nothing
    changed) if this Prefect has no such thread to wait for."""
    if _ORIGINAL is None or "join_on_exit" not in inspect.signature(_ORIGINAL).parameters:
        return False
    engine: Any = prefect.flow_engine
    engine._send_heartbeats = _heartbeats_not_joined
    return True
