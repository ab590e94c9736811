"""Notebook schedules: run a workspace or lake notebook on a cron (your own; admins see all)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.concurrency import run_in_threadpool

from lakebook.common.api import ScheduleChange, ScheduleCreate, ScheduleOut
from lakebook.gateway.api.deps import (
    API_PREFIX,
    Caller,
    CurrentUser,
    LakeStoreDep,
    OrchestratorDep,
    SessionDep,
    SettingsDep,
    check_access,
    require_role,
)
from lakebook.gateway.audit import record_event
from lakebook.gateway.notebook_access import check_notebook_access
from lakebook.gateway.schedules import (
    NotebookSchedule,
    NotebookSchedules,
    ScheduleExistsError,
    ScheduleInputError,
    ScheduleNotFoundError,
    check_notebook_parameters,
    check_schedule_name,
    cron_schedule,
    locate_schedule_notebook,
    notebook_parameters,
)

router = APIRouter(prefix=f"{API_PREFIX}/notebooks/schedules", tags=["schedules"])

Scheduler = Annotated[Caller, Depends(require_role("analyst", "admin", action="schedule"))]


def _out(schedule: NotebookSchedule) -> ScheduleOut:
    return ScheduleOut(
        id=schedule.id,
        name=schedule.name,
        owner=schedule.owner,
        notebook=schedule.notebook,
        cron=schedule.cron,
        timezone=schedule.timezone,
        parameters=schedule.parameters,
        active=schedule.active,
        next_run_at=schedule.next_run_at,
    )


def _input_error(error: ScheduleInputError) -> HTTPException:
    detail = [{"loc": ["body", error.field], "msg": str(error), "type": "schedule.invalid"}]
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail)


def _owner_and_name(user: Caller, schedule_id: str) -> tuple[str, str]:
    """`name` is the caller's own; `owner:name` someone else's, which only admins may touch."""
    owner, _, name = schedule_id.rpartition(":")
    owner = owner or user.name
    check_access(user, owner, f"no schedule {schedule_id!r}")
    return owner, name


@router.post("", response_model=ScheduleOut, status_code=status.HTTP_201_CREATED)
async def create_schedule(
    body: ScheduleCreate,
    user: Scheduler,
    session: SessionDep,
    settings: SettingsDep,
    store: LakeStoreDep,
    orchestrator: OrchestratorDep,
) -> ScheduleOut:
    """Checks the cron, timezone and parameters against the notebook, then saves the schedule."""
    notebook = body.notebook.strip()
    name = body.name or Path(notebook).stem.lower()
    # Before the notebook is read for its parameters: someone else's is not read at all.
    check_notebook_access(user, session, store.paths, notebook)
    try:
        check_schedule_name(name)
        schedule = cron_schedule(body.cron, body.timezone)
        workspace = settings.flows.notebook_dir or Path.cwd()
        source = locate_schedule_notebook(notebook, workspace, store.paths)
        declared = await run_in_threadpool(notebook_parameters, source, store)
        check_notebook_parameters(declared, body.parameters)
    except ScheduleInputError as error:
        raise _input_error(error) from error
    options = {
        key: value
        for key, value in (
            ("report_name", body.report_name),
            ("timeout_seconds", body.timeout_seconds),
        )
        if value is not None
    }
    # What was checked is what runs: run_notebook locates the same text by the same rule.
    try:
        created = await NotebookSchedules(orchestrator.client).create(
            user.name, name, notebook, schedule, body.parameters, options
        )
    except ScheduleExistsError as error:
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"you already have a schedule named {name!r}"
        ) from error
    record_event(
        session,
        user.name,
        "schedule.create",
        created.id,
        {"notebook": created.notebook, "cron": created.cron, "timezone": created.timezone},
    )
    return _out(created)


@router.get("", response_model=list[ScheduleOut])
async def list_schedules(
    user: CurrentUser,
    orchestrator: OrchestratorDep,
    owner: Annotated[str | None, Query(max_length=64)] = None,
) -> list[ScheduleOut]:
    """Your schedules; admins see everyone's (or one `owner`'s)."""
    if not user.is_admin:
        if owner not in (None, user.name):
            return []
        owner = user.name
    found = await NotebookSchedules(orchestrator.client).list(owner)
    return [_out(schedule) for schedule in found]


@router.patch("/{schedule_id}", response_model=ScheduleOut)
async def change_schedule(
    schedule_id: str,
    body: ScheduleChange,
    user: Scheduler,
    session: SessionDep,
    orchestrator: OrchestratorDep,
) -> ScheduleOut:
    """`{"active": false}` pauses (future runs are dropped); `true` resumes."""
    owner, name = _owner_and_name(user, schedule_id)
    try:
        changed = await NotebookSchedules(orchestrator.client).set_active(owner, name, body.active)
    except ScheduleNotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no schedule {schedule_id!r}") from error
    action = "schedule.resume" if body.active else "schedule.pause"
    record_event(session, user.name, action, changed.id, {})
    return _out(changed)


@router.delete("/{schedule_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_schedule(
    schedule_id: str, user: Scheduler, session: SessionDep, orchestrator: OrchestratorDep
) -> None:
    owner, name = _owner_and_name(user, schedule_id)
    try:
        await NotebookSchedules(orchestrator.client).delete(owner, name)
    except ScheduleNotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no schedule {schedule_id!r}") from error
    record_event(session, user.name, "schedule.delete", f"{owner}:{name}", {})
