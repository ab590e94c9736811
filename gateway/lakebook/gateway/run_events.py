"""Live run events for SSE: one poll loop shared by every subscriber, not one poll per client."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lakebook.common.api import TERMINAL_STATES
from lakebook.gateway.orchestrator import Orchestrator, PrefectUnavailableError

logger = logging.getLogger(__name__)

# Logs reach Prefect a moment after the final state; keep polling this many rounds before "end".
POLLS_AFTER_TERMINAL = 3


@dataclass(frozen=True)
class RunEvent:
    """One server-sent event: `kind` is state, log, error or end."""

    kind: str
    data: dict[str, Any]


@dataclass
class _Watched:
    queues: set[asyncio.Queue[RunEvent]] = field(default_factory=set)
    seen_states: set[str] = field(default_factory=set)
    last_state_type: str | None = None
    last_log_at: datetime | None = None
    polls_after_terminal: int = 0


class RunWatcher:
    """Polls Prefect for the runs someone is watching and fans their events out."""

    def __init__(self, orchestrator: Orchestrator, interval_seconds: float = 0.5) -> None:
        self.orchestrator = orchestrator
        self.interval = interval_seconds
        self._watched: dict[str, _Watched] = {}
        self._task: asyncio.Task[None] | None = None
        self._wakeup = asyncio.Event()
        self.polls = 0
        self._failing = False

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="lakebook-run-watcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    @contextlib.asynccontextmanager
    async def subscribe(self, run_id: str) -> AsyncIterator[asyncio.Queue[RunEvent]]:
        queue: asyncio.Queue[RunEvent] = asyncio.Queue(maxsize=1000)
        watched = self._watched.setdefault(run_id, _Watched())
        if watched.seen_states:
            # A late subscriber missed the states already sent: replay them to it alone.
            await self._replay(run_id, queue)
        watched.queues.add(queue)
        self._wakeup.set()
        try:
            yield queue
        finally:
            watched.queues.discard(queue)
            if not watched.queues:
                self._watched.pop(run_id, None)

    async def _replay(self, run_id: str, queue: asyncio.Queue[RunEvent]) -> None:
        for change in await self.orchestrator.states(run_id):
            queue.put_nowait(RunEvent("state", _state_data(change)))

    async def _loop(self) -> None:
        while True:
            if self._watched:
                try:
                    await self._poll()
                    self._failing = False
                except PrefectUnavailableError as error:
                    if not self._failing:  # once per outage, not once per poll
                        self._broadcast(RunEvent("error", {"message": str(error)}))
                    self._failing = True
                except Exception:  # a bug here must not end every client's stream
                    logger.exception("run watcher poll failed")
            self._wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=self.interval)

    async def _poll(self) -> None:
        self.polls += 1
        run_ids = list(self._watched)
        infos = await self.orchestrator.runs(run_ids)
        for run_id in run_ids:
            watched = self._watched.get(run_id)
            info = infos.get(run_id)
            if watched is None or info is None:
                continue
            if info.state_type != watched.last_state_type:
                watched.last_state_type = info.state_type
                for change in await self.orchestrator.states(run_id):
                    if change.state_id not in watched.seen_states:
                        watched.seen_states.add(change.state_id)
                        self._send(watched, RunEvent("state", _state_data(change)))
        await self._poll_logs(run_ids)
        for watched in list(self._watched.values()):
            if watched.last_state_type in TERMINAL_STATES:
                watched.polls_after_terminal += 1
                if watched.polls_after_terminal > POLLS_AFTER_TERMINAL:
                    self._send(watched, RunEvent("end", {"state": watched.last_state_type}))

    async def _poll_logs(self, run_ids: list[str]) -> None:
        after = [w.last_log_at for w in self._watched.values() if w.last_log_at is not None]
        since = min(after) if len(after) == len(self._watched) else None
        for line in await self.orchestrator.logs(run_ids, after=since):
            watched = self._watched.get(line.run_id)
            if watched is None or (watched.last_log_at and line.timestamp <= watched.last_log_at):
                continue
            watched.last_log_at = line.timestamp
            self._send(
                watched,
                RunEvent(
                    "log",
                    {
                        "timestamp": line.timestamp.isoformat(),
                        "level": logging.getLevelName(line.level),
                        "logger": line.logger,
                        "message": line.message,
                    },
                ),
            )

    def _send(self, watched: _Watched, event: RunEvent) -> None:
        for queue in watched.queues:
            if queue.full():
                continue  # a client that stopped reading loses events, not the server memory
            queue.put_nowait(event)

    def _broadcast(self, event: RunEvent) -> None:
        for watched in self._watched.values():
            self._send(watched, event)


def _state_data(change: Any) -> dict[str, Any]:
    return {
        "state": change.state_type,
        "name": change.state_name,
        "timestamp": change.timestamp.isoformat(),
        "message": change.message,
    }
