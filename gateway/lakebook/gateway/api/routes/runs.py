"""Runs: the caller's flow runs (admins see all); anyone else's id answers 404."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from lakebook.gateway.api.deps import Caller, CurrentUser, OrchestratorDep, SessionDep
from lakebook.gateway.models import FlowRunRecord, User
from lakebook.gateway.orchestrator import RunInfo

router = APIRouter(prefix="/flows/runs", tags=["runs"])


class RunOut(BaseModel):
    run_id: str
    flow_name: str
    owner: str
    state: str
    state_name: str
    parameters: dict[str, Any]
    created_at: datetime
    start_time: datetime | None
    end_time: datetime | None


def owned_run(session: Session, caller: Caller, run_id: str) -> tuple[FlowRunRecord, str]:
    """The run record and its owner's name, if the caller may see it; 404 otherwise."""
    found = session.execute(
        select(FlowRunRecord, User.name)
        .join(User, User.id == FlowRunRecord.owner_id)
        .where(FlowRunRecord.run_id == run_id)
    ).one_or_none()
    if found is None or (found[0].owner_id != caller.id and not caller.is_admin):
        # The same answer for "missing" and "someone else's": ids are not an oracle.
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no run {run_id!r}")
    return found[0], found[1]


def _run_out(record: FlowRunRecord, owner: str, info: RunInfo | None) -> RunOut:
    return RunOut(
        run_id=record.run_id,
        flow_name=record.flow_name,
        owner=owner,
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
    """Newest first; `flow` filters by flow name."""
    query = select(FlowRunRecord, User.name).join(User, User.id == FlowRunRecord.owner_id)
    if not user.is_admin:
        query = query.where(FlowRunRecord.owner_id == user.id)
    if flow is not None:
        query = query.where(FlowRunRecord.flow_name == flow)
    query = query.order_by(FlowRunRecord.created_at.desc()).limit(limit).offset(offset)
    rows = session.execute(query).all()
    infos = await orchestrator.runs([record.run_id for record, _ in rows])
    return [_run_out(record, owner, infos.get(record.run_id)) for record, owner in rows]


@router.get("/{run_id}", response_model=RunOut)
async def read_run(
    run_id: str, user: CurrentUser, session: SessionDep, orchestrator: OrchestratorDep
) -> RunOut:
    record, owner = owned_run(session, user, run_id)
    infos = await orchestrator.runs([record.run_id])
    return _run_out(record, owner, infos.get(record.run_id))
