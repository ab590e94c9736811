"""The gateway's view of Prefect: deployments, launches and runs, with bounded waits."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import httpx
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterId,
    LogFilter,
    LogFilterFlowRunId,
    LogFilterTimestamp,
)
from prefect.client.schemas.objects import FlowRun
from prefect.client.schemas.sorting import LogSort
from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError
from prefect.states import Cancelling, Scheduled

from lakebook.common.api import TERMINAL_STATES
from lakebook.common.deployments import DEPLOYMENT_NAME, deployment_path
from lakebook.gateway.prefect_client import PrefectRefusedConnection, prefect_client


class PrefectUnavailableError(RuntimeError):
    """Prefect did not answer in time or failed; the gateway answers 503."""


class DeploymentNotFoundError(LookupError):
    """No lakebook deployment serves a flow of that name."""


@dataclass(frozen=True)
class Deployment:
    id: UUID
    flow_name: str
    description: str | None
    tags: list[str]
    parameters_schema: dict[str, Any]
    schedules: list[str]


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    state_type: str
    state_name: str
    parameters: dict[str, Any]
    tags: list[str]
    created: datetime | None
    start_time: datetime | None
    end_time: datetime | None


@dataclass(frozen=True)
class StateChange:
    state_id: str
    state_type: str
    state_name: str
    timestamp: datetime
    message: str | None


# Prefect's engine writes its own words before the exception it records ("Flow run encountered
# an exception: KeyError: 'x'"); what a person needs to read is the exception.
ENGINE_PREFIXES = ("Flow run encountered an exception:", "Task run encountered an exception:")


def without_engine_prefix(message: str | None) -> str | None:
    """A state's message as its reader wants it: the error first."""
    for prefix in ENGINE_PREFIXES:
        if message and message.startswith(prefix):
            return message[len(prefix) :].lstrip() or message
    return message


@dataclass(frozen=True)
class LogLine:
    run_id: str
    timestamp: datetime
    level: int
    logger: str
    message: str


PREFECT_PAGE_LIMIT = 200
ENDED_RUNS_REMEMBERED = 10_000
DEPLOYMENT_MEMORY_SECONDS = 5.0
# How many per-call timeouts one answer may spend on Prefect, retries included.
PREFECT_DEADLINE_CALLS = 3


class Orchestrator:
    """One Prefect client for the gateway's lifetime; every call has a timeout."""

    def __init__(
        self, api_url: str, timeout_seconds: float, live_state_seconds: float = 0.0
    ) -> None:
        self.api_url = api_url
        self.client = prefect_client(api_url, timeout_seconds)
        # Each call has `timeout_seconds`, but Prefect's client retries a timed-out or busy call
        # after 2, 4, 8, 16 and 32 s: a stalled Prefect held a launch for 90 s. An answer of the
        # gateway never waits longer than this for Prefect.
        self.deadline_seconds = timeout_seconds * PREFECT_DEADLINE_CALLS
        # A run that has ended never changes again: remember it instead of asking Prefect.
        self._ended: OrderedDict[str, RunInfo] = OrderedDict()
        # A run still going is remembered briefly: many clients polling one run cost one
        # Prefect call per window (the SSE stream is the way to see every change at once).
        self.live_state_seconds = live_state_seconds
        self._live: dict[str, tuple[float, RunInfo]] = {}
        # Reads of the same runs already on their way to Prefect: later callers join them.
        self._inflight: dict[str, asyncio.Future[dict[str, RunInfo]]] = {}
        # Deployments change only when the runner (re)registers its flows: a launch checks its
        # parameters against a schema at most DEPLOYMENT_MEMORY_SECONDS old instead of asking.
        self._deployments: dict[str, tuple[float, Deployment]] = {}

    async def __aenter__(self) -> Orchestrator:
        await self.client.__aenter__()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.client.__aexit__(*exc_info)

    @contextlib.asynccontextmanager
    async def _answering(self) -> AsyncIterator[None]:
        try:
            async with asyncio.timeout(self.deadline_seconds):
                yield
        except TimeoutError as error:
            raise PrefectUnavailableError(
                f"Prefect at {self.api_url} did not answer within {self.deadline_seconds:.0f} s "
                "(busy or stalled); try again shortly (a launch retried with the same "
                "Idempotency-Key never runs twice)"
            ) from error
        except PrefectRefusedConnection as error:
            raise PrefectUnavailableError(
                f"Prefect at {self.api_url} refused the connection (it is down or restarting); "
                "try again shortly"
            ) from error
        except (httpx.TransportError, httpx.TimeoutException) as error:
            raise PrefectUnavailableError(
                f"Prefect at {self.api_url} is unreachable ({type(error).__name__}); "
                "try again shortly"
            ) from error
        except PrefectHTTPStatusError as error:
            raise PrefectUnavailableError(
                f"Prefect at {self.api_url} failed: HTTP {error.response.status_code}"
            ) from error

    async def deployments(self) -> list[Deployment]:
        """Every lakebook deployment, by flow name."""
        async with self._answering():
            flows = {flow.id: flow.name for flow in await self.client.read_flows()}
            found = await self.client.read_deployments()
        return sorted(
            (_deployment(flows.get(d.flow_id, "?"), d) for d in found if d.name == DEPLOYMENT_NAME),
            key=lambda d: d.flow_name,
        )

    async def deployment(self, flow_name: str) -> Deployment:
        remembered = self._deployments.get(flow_name)
        if remembered is not None and remembered[0] > time.monotonic():
            return remembered[1]
        async with self._answering():
            try:
                found = await self.client.read_deployment_by_name(deployment_path(flow_name))
            except ObjectNotFound as error:
                raise DeploymentNotFoundError(f"no flow named {flow_name!r} is deployed") from error
        deployment = _deployment(flow_name, found)
        self._deployments[flow_name] = (time.monotonic() + DEPLOYMENT_MEMORY_SECONDS, deployment)
        return deployment

    async def launch(
        self,
        flow_name: str,
        parameters: dict[str, Any],
        tags: Sequence[str],
        idempotency_key: str | None,
    ) -> RunInfo:
        """Creates the run and returns at once (timeout=0): the runner picks it up."""
        deployment = await self.deployment(flow_name)
        async with self._answering():
            try:
                # What run_deployment(timeout=0) does, minus its second read of the deployment.
                run = await self.client.create_flow_run_from_deployment(
                    deployment.id,
                    parameters=parameters,
                    state=Scheduled(),
                    tags=list(tags),
                    idempotency_key=idempotency_key,
                )
            except PrefectHTTPStatusError as error:
                if error.response.status_code != httpx.codes.NOT_FOUND:
                    raise
                # Removed since we looked (the runner re-registered its flows, say).
                self._deployments.pop(flow_name, None)
                raise DeploymentNotFoundError(f"no flow named {flow_name!r} is deployed") from error
        return _run_info(run)

    async def runs(self, run_ids: Sequence[str]) -> dict[str, RunInfo]:
        """Current state of several runs in one call (ended runs come from memory, runs still
        going from a short-lived memory; concurrent reads of the same run share one call)."""
        found, missing = self._remembered(run_ids)
        if not missing:
            return found
        pending = {i: self._inflight[i] for i in missing if i in self._inflight}
        to_fetch = [i for i in missing if i not in pending]
        if to_fetch:
            fetch = asyncio.ensure_future(self._fetch_runs(to_fetch))
            for run_id in to_fetch:
                self._inflight[run_id] = fetch
            fetch.add_done_callback(lambda done: self._forget_inflight(to_fetch, done))
            pending |= dict.fromkeys(to_fetch, fetch)
        for shared in {id(f): f for f in pending.values()}.values():
            # Shielded: one caller giving up (a closed connection) must not cancel the others'.
            fetched = await asyncio.shield(shared)
            found |= {i: info for i, info in fetched.items() if i in pending}
        return found

    def _remembered(self, run_ids: Sequence[str]) -> tuple[dict[str, RunInfo], list[str]]:
        now = time.monotonic()
        found: dict[str, RunInfo] = {}
        missing: list[str] = []
        for run_id in run_ids:
            live = self._live.get(run_id)
            if run_id in self._ended:
                found[run_id] = self._ended[run_id]
            elif live is not None and now - live[0] < self.live_state_seconds:
                found[run_id] = live[1]
            else:
                missing.append(run_id)
        return found, missing

    async def _fetch_runs(self, run_ids: list[str]) -> dict[str, RunInfo]:
        async with self._answering():
            fetched = await self.client.read_flow_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[UUID(i) for i in run_ids])),
                limit=len(run_ids),
            )
        found: dict[str, RunInfo] = {}
        now = time.monotonic()
        for run in fetched:
            info = _run_info(run)
            found[info.run_id] = info
            if info.state_type in TERMINAL_STATES:
                self._remember_ended(info)
                self._live.pop(info.run_id, None)
            elif self.live_state_seconds > 0:
                self._live[info.run_id] = (now, info)
        self._drop_stale_live(now)
        return found

    def _forget_inflight(self, run_ids: list[str], done: asyncio.Future[Any]) -> None:
        for run_id in run_ids:
            if self._inflight.get(run_id) is done:
                del self._inflight[run_id]
        if not done.cancelled():
            done.exception()  # retrieved here, so an error nobody awaited is not logged twice

    def _drop_stale_live(self, now: float) -> None:
        if len(self._live) > ENDED_RUNS_REMEMBERED:
            self._live = {
                i: entry
                for i, entry in self._live.items()
                if now - entry[0] < self.live_state_seconds
            }

    def _remember_ended(self, info: RunInfo) -> None:
        self._ended[info.run_id] = info
        if len(self._ended) > ENDED_RUNS_REMEMBERED:
            self._ended.popitem(last=False)

    async def states(self, run_id: str) -> list[StateChange]:
        """Every state the run went through, oldest first (no transition is missed)."""
        async with self._answering():
            found = await self.client.read_flow_run_states(UUID(run_id))
        changes = [
            StateChange(
                state_id=str(state.id),
                state_type=state.type.value,
                state_name=state.name or state.type.value.title(),
                timestamp=state.timestamp,
                message=without_engine_prefix(state.message),
            )
            for state in found
        ]
        return sorted(changes, key=lambda change: change.timestamp)

    async def logs(
        self,
        run_ids: Sequence[str],
        after: datetime | None = None,
        limit: int = 200,
        offset: int = 0,
    ) -> list[LogLine]:
        """Log lines of these runs, oldest first, optionally only those after a moment.
        Prefect refuses pages over 200 lines (HTTP 422), so `limit` is capped there."""
        limit = min(limit, PREFECT_PAGE_LIMIT)
        log_filter = LogFilter(
            flow_run_id=LogFilterFlowRunId(any_=[UUID(i) for i in run_ids]),
            timestamp=LogFilterTimestamp.model_validate({"after_": after}) if after else None,
        )
        async with self._answering():
            found = await self.client.read_logs(
                log_filter=log_filter, limit=limit, offset=offset, sort=LogSort.TIMESTAMP_ASC
            )
        return [
            LogLine(
                run_id=str(log.flow_run_id),
                timestamp=log.timestamp,
                level=log.level,
                logger=log.name,
                message=log.message,
            )
            for log in found
        ]

    async def cancel(self, run_id: str) -> str:
        """Asks the runner to cancel; returns the state Prefect settled on."""
        self._live.pop(run_id, None)
        async with self._answering():
            result: Any = await self.client.set_flow_run_state(UUID(run_id), Cancelling())
        return result.state.type.value if result.state else "UNKNOWN"


def _deployment(flow_name: str, found: Any) -> Deployment:
    schedules = [str(s.schedule) for s in (found.schedules or [])]
    return Deployment(
        id=found.id,
        flow_name=flow_name,
        description=found.description,
        tags=list(found.tags or []),
        parameters_schema=dict(found.parameter_openapi_schema or {}),
        schedules=schedules,
    )


def _run_info(run: FlowRun) -> RunInfo:
    return RunInfo(
        run_id=str(run.id),
        state_type=run.state_type.value if run.state_type else "UNKNOWN",
        state_name=run.state_name or "Unknown",
        parameters=dict(run.parameters),
        tags=list(run.tags),
        created=run.created,
        start_time=run.start_time,
        end_time=run.end_time,
    )
