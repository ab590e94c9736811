"""Notebook reports: what a run_notebook run published under `results/reports/{run id}/`,
one run's (checked against its owner like every other run route) or the caller's newest."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from lakebook.common.api import FailedCellOut, ReportOut
from lakebook.gateway.api.deps import (
    API_PREFIX,
    CurrentUser,
    LakeStoreDep,
    OrchestratorDep,
    SessionDep,
)
from lakebook.gateway.api.routes.runs import CLAIM_FIRST, download_expiry, owned_run
from lakebook.gateway.crud import list_run_records
from lakebook.gateway.scheduled_runs import claim_scheduled_runs
from lakebook.lake.reports import ReportPublisher
from lakebook.lake.store import LakeNotFoundError, LakeStore

router = APIRouter(prefix=f"{API_PREFIX}/flows/runs", tags=["runs"])
reports_router = APIRouter(prefix=f"{API_PREFIX}/reports", tags=["reports"])
NOTEBOOK_FLOW = "run_notebook"
ExpiresIn = Annotated[int, Query(ge=1, le=24 * 3600)]


@router.get("/{run_id}/report", response_model=ReportOut, dependencies=CLAIM_FIRST)
def read_report(
    run_id: str,
    user: CurrentUser,
    session: SessionDep,
    store: LakeStoreDep,
    expires_in: ExpiresIn = 900,
) -> ReportOut:
    """The report of a notebook run (a failed run's partial report too), with short-lived
    download URLs of the executed notebook and its HTML."""
    record = owned_run(session, user, run_id)
    try:
        return report_out(store, record.run_id, expires_in)
    except LakeNotFoundError as error:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"run {run_id!r} has no published report (yet)"
        ) from error


@reports_router.get("", response_model=list[ReportOut])
async def list_reports(
    user: CurrentUser,
    session: SessionDep,
    store: LakeStoreDep,
    orchestrator: OrchestratorDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    expires_in: ExpiresIn = 900,
    schedule: Annotated[
        str | None,
        Query(
            max_length=64,
            description="Only the runs of the caller's schedule of this name (admins: anyone's).",
        ),
    ] = None,
) -> list[ReportOut]:
    """The reports of the caller's notebook runs (admins: everyone's), newest run first, scheduled
    ones included. Pages count notebook runs: a run still going, or one that failed before its
    first cell, has no report, so a page may hold fewer than `limit`."""
    await claim_scheduled_runs(orchestrator.client, session)
    owner_id = None if user.is_admin else user.id
    records = list_run_records(
        session,
        owner_id=owner_id,
        flow=NOTEBOOK_FLOW,
        limit=limit,
        offset=offset,
        schedule=schedule,
    )
    reports = []
    for record in records:
        try:
            reports.append(report_out(store, record.run_id, expires_in))
        except LakeNotFoundError:
            continue
    return reports


def report_out(store: LakeStore, run_id: str, expires_in: int) -> ReportOut:
    """A published report as the API answers it; LakeNotFoundError when there is none."""
    reports = ReportPublisher(store)
    metadata = reports.read_metadata(run_id)
    files = reports.published(run_id, metadata.published_at)
    notebook_url = presigned(store, files.notebook_uri, expires_in)
    failed = metadata.failed_cell
    return ReportOut(
        run_id=run_id,
        report_name=metadata.report_name,
        notebook=metadata.notebook,
        status=metadata.status,
        user=metadata.user,
        schedule=metadata.schedule,
        parameters=metadata.parameters,
        failed_cell=FailedCellOut.model_validate(failed.model_dump()) if failed else None,
        started_at=metadata.started_at,
        finished_at=metadata.finished_at,
        duration_seconds=metadata.duration_seconds,
        published_at=metadata.published_at,
        notebook_uri=files.notebook_uri,
        html_uri=files.html_uri,
        notebook_url=notebook_url,
        html_url=presigned(store, files.html_uri, expires_in),
        download_expires_at=download_expiry(notebook_url, expires_in),
    )


def presigned(store: LakeStore, uri: str, expires_in: int) -> str | None:
    """A short-lived GET URL of one of the report's files (None for a local-folder lake)."""
    key = store.paths.key_of(uri)
    return None if key is None else store.presigned_url(key, expires_in)
