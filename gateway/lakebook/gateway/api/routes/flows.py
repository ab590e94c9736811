"""Flows: what can be launched, and launching it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, status
from fastapi.concurrency import run_in_threadpool

from lakebook.common.api import DeploymentOut, ExecuteRequest, Launched
from lakebook.common.deployments import OWNER_TAG_PREFIX
from lakebook.common.lake import LakePathError, LakePaths, check_dataset_name
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
from lakebook.gateway.core.parameters import parameter_errors
from lakebook.gateway.crud import find_launch, record_launch
from lakebook.gateway.launch_checks import launch_errors
from lakebook.gateway.notebook_access import check_notebook_access
from lakebook.gateway.orchestrator import DeploymentNotFoundError
from lakebook.gateway.schedules import NOTEBOOK_FLOW

router = APIRouter(prefix=f"{API_PREFIX}/flows", tags=["flows"])

Launcher = Annotated[Caller, Depends(require_role("analyst", "admin", action="launch flows"))]
# Flows that read an upload take its key under this name (ingest_upload).
UPLOAD_PARAMETER = "upload_key"
# run_notebook takes its notebook under this name: a lake key must be one the caller may read.
NOTEBOOK_PARAMETER = "notebook"


@router.get("/deployments", response_model=list[DeploymentOut])
async def list_deployments(user: CurrentUser, orchestrator: OrchestratorDep) -> list[DeploymentOut]:
    return [
        DeploymentOut(
            name=d.flow_name,
            description=d.description,
            tags=d.tags,
            schedules=d.schedules,
            parameters_schema=d.parameters_schema,
        )
        for d in await orchestrator.deployments()
    ]


@router.post("/{flow_name}/execute", response_model=Launched, status_code=status.HTTP_202_ACCEPTED)
async def execute_flow(
    flow_name: str,
    body: ExecuteRequest,
    user: Launcher,
    session: SessionDep,
    orchestrator: OrchestratorDep,
    settings: SettingsDep,
    store: LakeStoreDep,
    idempotency_key: Annotated[
        str | None, Header(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")
    ] = None,
) -> Launched:
    """Validates the parameters against the flow's schema and creates a Prefect run."""
    # Also checked before the run exists: what a built-in flow would refuse from its parameters
    # alone (launch_checks). The docstring is the published OpenAPI description: kept as it was.
    try:
        check_dataset_name(flow_name)
        deployment = await orchestrator.deployment(flow_name)
    except (LakePathError, DeploymentNotFoundError) as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no flow named {flow_name!r}") from error
    errors = parameter_errors(deployment.parameters_schema, body.parameters)
    if errors:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, errors)
    upload_key = body.parameters.get(UPLOAD_PARAMETER)
    if isinstance(upload_key, str):
        check_access(user, LakePaths.upload_owner(upload_key), f"no upload {upload_key!r}")
    notebook = body.parameters.get(NOTEBOOK_PARAMETER)
    if flow_name == NOTEBOOK_FLOW and isinstance(notebook, str):
        check_notebook_access(user, session, store.paths, notebook)

    if idempotency_key is not None:
        earlier = find_launch(session, user.id, idempotency_key)
        if earlier is not None:
            runs = await orchestrator.runs([earlier])
            state = runs[earlier].state_type if earlier in runs else "UNKNOWN"
            return Launched(run_id=earlier, state=state)

    # After the retry's answer: these look at the notebook and the lake, which may have changed
    # since the first launch. They rely on the shapes the schema check has just confirmed.
    errors = await run_in_threadpool(launch_errors, flow_name, body.parameters, settings, store)
    if errors:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, errors)

    run = await orchestrator.launch(
        flow_name,
        body.parameters,
        tags=[f"{OWNER_TAG_PREFIX}{user.name}"],
        # Prefect dedups too, so a retry racing this request cannot create a second run.
        idempotency_key=f"{user.name}:{idempotency_key}" if idempotency_key else None,
    )
    record_launch(
        session,
        run_id=run.run_id,
        flow_name=flow_name,
        owner_id=user.id,
        idempotency_key=idempotency_key,
        parameters=body.parameters,
    )
    record_event(session, user.name, "flow.execute", run.run_id, {"flow": flow_name})
    return Launched(run_id=run.run_id, state=run.state_type)
