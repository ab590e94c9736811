"""A run_notebook run's report: what the run published under `results/reports/{run id}/`,
checked against the run's owner like every other run route."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from lakebook.common.api import FailedCellOut, ReportOut
from lakebook.common.lake import REPORT_HTML_FILE, REPORT_NOTEBOOK_FILE
from lakebook.gateway.api.deps import API_PREFIX, CurrentUser, LakeStoreDep, SessionDep
from lakebook.gateway.api.routes.runs import CLAIM_FIRST, download_expiry, owned_run
from lakebook.lake.reports import ReportPublisher
from lakebook.lake.store import LakeNotFoundError

router = APIRouter(prefix=f"{API_PREFIX}/flows/runs", tags=["runs"])


@router.get("/{run_id}/report", response_model=ReportOut, dependencies=CLAIM_FIRST)
def read_report(
    run_id: str,
    user: CurrentUser,
    session: SessionDep,
    store: LakeStoreDep,
    expires_in: Annotated[int, Query(ge=1, le=24 * 3600)] = 900,
) -> ReportOut:
    """The report of a notebook run (a failed run's partial report too), with short-lived
    download URLs of the executed notebook and its HTML."""
    record = owned_run(session, user, run_id)
    reports = ReportPublisher(store)
    try:
        metadata = reports.read_metadata(record.run_id)
    except LakeNotFoundError as error:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"run {run_id!r} has no published report (yet)"
        ) from error
    notebook_key = store.paths.report_key(record.run_id, REPORT_NOTEBOOK_FILE)
    html_key = store.paths.report_key(record.run_id, REPORT_HTML_FILE)
    notebook_url = store.presigned_url(notebook_key, expires_in)
    failed = metadata.failed_cell
    return ReportOut(
        run_id=record.run_id,
        report_name=metadata.report_name,
        notebook=metadata.notebook,
        status=metadata.status,
        user=metadata.user,
        parameters=metadata.parameters,
        failed_cell=FailedCellOut.model_validate(failed.model_dump()) if failed else None,
        started_at=metadata.started_at,
        finished_at=metadata.finished_at,
        duration_seconds=metadata.duration_seconds,
        published_at=metadata.published_at,
        notebook_uri=store.paths.uri(notebook_key),
        html_uri=store.paths.uri(html_key),
        notebook_url=notebook_url,
        html_url=store.presigned_url(html_key, expires_in),
        download_expires_at=download_expiry(notebook_url, expires_in),
    )
