"""Runs: the caller's flow runs (admins see all); anyone else's id answers 404."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from lakebook.common.api import (
    TERMINAL_STATES,
    Cancelled,
    LogOut,
    ResultOut,
    RunOut,
    StateOut,
)
from lakebook.common.rejects import rejected_rows_out
from lakebook.common.settings import Settings
from lakebook.gateway.api.deps import (
    API_PREFIX,
    Caller,
    CurrentUser,
    LakeStoreDep,
    OrchestratorDep,
    RunWatcherDep,
    SessionDep,
    SettingsDep,
    check_access,
)
from lakebook.gateway.audit import record_event
from lakebook.gateway.crud import RunRecords, RunRecordView, find_run_record, list_run_records
from lakebook.gateway.dataset_access import access_to
from lakebook.gateway.db import session_scope
from lakebook.gateway.orchestrator import Orchestrator, RunInfo
from lakebook.gateway.run_events import RunWatcher
from lakebook.gateway.scheduled_runs import claim_scheduled_run, claim_scheduled_runs
from lakebook.lake.publisher import LakePublisher
from lakebook.lake.store import LakeNotFoundError

router = APIRouter(prefix=f"{API_PREFIX}/flows/runs", tags=["runs"])

KEEPALIVE_SECONDS = 15.0


def owned_run(session: Session, caller: Caller, run_id: str) -> RunRecordView:
    """The run's record, if the caller may see it; 404 otherwise."""
    return visible_run(caller, find_run_record(session, run_id), run_id)


def visible_run(caller: Caller, record: RunRecordView | None, run_id: str) -> RunRecordView:
    """The record, if there is one and the caller may see it; the same 404 otherwise."""
    detail = f"no run {run_id!r}"
    if record is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail)
    check_access(caller, record.owner_id, detail)
    return record


async def claim_if_scheduled(
    run_id: str, request: Request, settings: SettingsDep, orchestrator: OrchestratorDep
) -> None:
    """A started run of a notebook schedule that nobody recorded yet becomes its owner's now, so
    the owner can open it by id without listing runs first; the route's own check follows."""
    records: RunRecords = request.app.state.run_records
    if await records.get(settings.gateway.database, run_id) is None:
        await _claim_unrecorded(run_id, settings, orchestrator)


async def _claim_unrecorded(run_id: str, settings: Settings, orchestrator: Orchestrator) -> None:
    with session_scope(settings.gateway.database) as session:
        await claim_scheduled_run(orchestrator.client, session, run_id)


# Every route that takes a run id: ownership is decided after a scheduled run is claimed.
CLAIM_FIRST = [Depends(claim_if_scheduled)]


def _run_out(record: RunRecordView, info: RunInfo | None) -> RunOut:
    return RunOut(
        run_id=record.run_id,
        flow_name=record.flow_name,
        owner=record.owner,
        state=info.state_type if info else "UNKNOWN",
        state_name=info.state_name if info else "Unknown",
        parameters=record.parameters,
        created_at=record.created_at,
        start_time=info.start_time if info else None,
        end_time=info.end_time if info else None,
    )


@router.get("", response_model=list[RunOut])
async def list_runs(
    user: CurrentUser,
    session: SessionDep,
    orchestrator: OrchestratorDep,
    flow: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[RunOut]:
    """Newest first; `flow` filters by flow name. Includes runs of the caller's schedules."""
    await claim_scheduled_runs(orchestrator.client, session)
    owner_id = None if user.is_admin else user.id
    records = list_run_records(session, owner_id=owner_id, flow=flow, limit=limit, offset=offset)
    infos = await orchestrator.runs([record.run_id for record in records])
    return [_run_out(record, infos.get(record.run_id)) for record in records]


@router.get("/{run_id}", response_model=RunOut)
async def read_run(
    run_id: str,
    request: Request,
    user: CurrentUser,
    settings: SettingsDep,
    orchestrator: OrchestratorDep,
) -> RunOut:
    records: RunRecords = request.app.state.run_records
    record = await records.get(settings.gateway.database, run_id)
    if record is None:
        # Claimed here rather than as a dependency (CLAIM_FIRST): this is the hot path, and
        # known runs should not pay for another dependency (nor this one a second lookup).
        await _claim_unrecorded(run_id, settings, orchestrator)
        record = await records.get(settings.gateway.database, run_id)
    record = visible_run(user, record, run_id)
    return _run_out(record, (await orchestrator.runs([record.run_id])).get(record.run_id))


@router.get("/{run_id}/logs", response_model=list[LogOut], dependencies=CLAIM_FIRST)
async def read_logs(
    run_id: str,
    user: CurrentUser,
    session: SessionDep,
    orchestrator: OrchestratorDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 200,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[LogOut]:
    """The run's log lines, oldest first, a page at a time."""
    record = owned_run(session, user, run_id)
    lines = await orchestrator.logs([record.run_id], limit=limit, offset=offset)
    return [
        LogOut(
            timestamp=line.timestamp,
            level=logging.getLevelName(line.level),
            logger=line.logger,
            message=line.message,
        )
        for line in lines
    ]


@router.get("/{run_id}/states", response_model=list[StateOut], dependencies=CLAIM_FIRST)
async def read_states(
    run_id: str, user: CurrentUser, session: SessionDep, orchestrator: OrchestratorDep
) -> list[StateOut]:
    """Every state the run went through, oldest first, with its message (a failure's cause)."""
    record = owned_run(session, user, run_id)
    return [
        StateOut(
            state=change.state_type,
            name=change.state_name,
            timestamp=change.timestamp,
            message=change.message,
        )
        for change in await orchestrator.states(record.run_id)
    ]


@router.post(
    "/{run_id}/cancel",
    response_model=Cancelled,
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=CLAIM_FIRST,
)
async def cancel_run(
    run_id: str, user: CurrentUser, session: SessionDep, orchestrator: OrchestratorDep
) -> Cancelled:
    record = owned_run(session, user, run_id)
    current = (await orchestrator.runs([record.run_id])).get(record.run_id)
    if current is not None and current.state_type in TERMINAL_STATES:
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"run {run_id!r} already ended ({current.state_name})"
        )
    state = await orchestrator.cancel(record.run_id)
    record_event(session, user.name, "flow.cancel", record.run_id, {"flow": record.flow_name})
    return Cancelled(run_id=record.run_id, state=state)


@router.get("/{run_id}/events", response_class=StreamingResponse, dependencies=CLAIM_FIRST)
async def run_events(
    run_id: str, user: CurrentUser, settings: SettingsDep, watcher: RunWatcherDep
) -> StreamingResponse:
    """Server-sent events: `state` on every transition, `log` lines, `end` when it is over."""
    with session_scope(settings.gateway.database) as session:
        owned_run(session, user, run_id)
    return StreamingResponse(
        _event_stream(watcher, run_id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _event_stream(watcher: RunWatcher, run_id: str) -> AsyncIterator[str]:
    async with watcher.subscribe(run_id) as queue:
        yield ": connected\n\n"
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), timeout=KEEPALIVE_SECONDS)
            except TimeoutError:
                yield ": keep-alive\n\n"  # proxies close silent connections
                continue
            yield f"event: {event.kind}\ndata: {json.dumps(event.data)}\n\n"
            if event.kind == "end":
                return


@router.get("/{run_id}/result", response_model=ResultOut, dependencies=CLAIM_FIRST)
def read_result(
    run_id: str,
    user: CurrentUser,
    session: SessionDep,
    store: LakeStoreDep,
    rows: Annotated[int, Query(ge=0, le=1000)] = 20,
    expires_in: Annotated[int, Query(ge=1, le=24 * 3600)] = 900,
) -> ResultOut:
    """What the run published: schema, row count, first rows and a short-lived download URL."""
    record = owned_run(session, user, run_id)
    publisher = LakePublisher(store)
    try:
        published = publisher.find_run(record.run_id)
    except LakeNotFoundError as error:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"run {run_id!r} has no published result (yet)"
        ) from error
    # The run is the caller's, and so must the dataset be to read, or be shared with them (L7).
    if not access_to(session, user, [published.dataset], publisher)[published.dataset].may_read:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"run {run_id!r} published dataset {published.dataset!r}, "
            f"which is not shared with {user.name}",
        )
    metadata = publisher.read_metadata(published.dataset, published.run_id)
    preview = publisher.scan_published(published).head(rows).collect()
    data_key = store.paths.run_data_key(published.dataset, published.run_id)
    url = store.presigned_url(data_key, expires_in)
    return ResultOut(
        run_id=record.run_id,
        dataset=published.dataset,
        data_uri=published.data_uri,
        columns=metadata.columns,
        row_count=metadata.row_count,
        bytes=metadata.bytes,
        preview=preview.to_dicts(),
        download_url=url,
        download_expires_at=download_expiry(url, expires_in),
        rows_rejected=metadata.rows_rejected or 0,
        reject_sample=rejected_rows_out(metadata.reject_sample),
    )


def download_expiry(url: str | None, expires_in: int) -> datetime | None:
    """When a presigned URL signed now stops working; None without a URL (a local lake)."""
    return datetime.now(UTC) + timedelta(seconds=expires_in) if url else None
