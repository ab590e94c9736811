"""Runs that Prefect created from lakebook notebook schedules become their owner's runs.

Prefect's scheduler gives a scheduled run only the deployment's tags, so it cannot carry the
owner tag a gateway launch gets. It does record which schedule made it (`created_by`: the
schedule's id and slug `lakebook:{owner}:{name}`). The gateway records each started scheduled
run in `flow_runs` under the slug's owner (so every ownership check — read, logs, result, events,
cancel — treats it like a launch) and adds the owner tag in Prefect. It claims in two places: the
newest runs before listing (so they appear in lists), and one run when it is asked for by id and
not yet recorded (so its owner can open it without listing first).
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterDeploymentId,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.client.schemas.sorting import FlowRunSort
from prefect.exceptions import ObjectNotFound
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lakebook.common.deployments import OWNER_TAG_PREFIX, deployment_path, parse_schedule_slug
from lakebook.gateway.models import FlowRunRecord, User
from lakebook.gateway.schedules import NOTEBOOK_FLOW, answering

# The newest scheduled runs looked at per listing; older ones were claimed by earlier listings.
CLAIM_WINDOW = 200


async def claim_scheduled_runs(client: PrefectClient, session: Session) -> int:
    """Records new started runs of notebook schedules under their owners; returns how many."""
    async with answering(client):
        return await _claim_recent(client, session)


async def claim_scheduled_run(client: PrefectClient, session: Session, run_id: str) -> bool:
    """Records this one run under its schedule's owner if it is a started scheduled notebook run
    nobody has recorded yet; returns whether it did."""
    try:
        wanted = UUID(run_id)
    except ValueError:
        return False  # not a Prefect run id at all
    async with answering(client):
        try:
            run = await client.read_flow_run(wanted)
        except ObjectNotFound:
            return False
        if run.state_type in (None, StateType.SCHEDULED) or _schedule_of(run) is None:
            return False
        deployment_id = await _notebook_deployment_id(client)
        if deployment_id is None or run.deployment_id != deployment_id:
            return False
        return await _claim(client, session, [run]) == 1


async def _claim_recent(client: PrefectClient, session: Session) -> int:
    deployment_id = await _notebook_deployment_id(client)
    if deployment_id is None:
        return 0  # no notebook flow deployed, so no scheduled notebook runs either
    runs = await client.read_flow_runs(
        flow_run_filter=FlowRunFilter(
            deployment_id=FlowRunFilterDeploymentId(any_=[deployment_id]),
            # Future runs are not anyone's runs yet; they show once they start.
            state=FlowRunFilterState(type=FlowRunFilterStateType(not_any_=[StateType.SCHEDULED])),
        ),
        sort=FlowRunSort.EXPECTED_START_TIME_DESC,
        limit=CLAIM_WINDOW,
    )
    return await _claim(client, session, runs)


async def _notebook_deployment_id(client: PrefectClient) -> UUID | None:
    try:
        deployment = await client.read_deployment_by_name(deployment_path(NOTEBOOK_FLOW))
    except ObjectNotFound:
        return None
    return deployment.id


async def _claim(client: PrefectClient, session: Session, runs: list[FlowRun]) -> int:
    """Records those of `runs` that lakebook schedules made under their owners and tags them in
    Prefect; returns how many were new."""
    owned = {run.id: schedule for run in runs if (schedule := _schedule_of(run))}
    if not owned:
        return 0
    claimed = _record(session, [r for r in runs if r.id in owned], owned)
    for run in claimed:
        tag = f"{OWNER_TAG_PREFIX}{owned[run.id][0]}"
        if tag not in run.tags:
            await client.update_flow_run(run.id, tags=[*run.tags, tag])
    return len(claimed)


def _schedule_of(run: FlowRun) -> tuple[str, str] | None:
    """(owner, name) of the lakebook schedule that created the run, if one did."""
    made_by = run.created_by
    if made_by is None or made_by.type != "SCHEDULE":
        return None
    return parse_schedule_slug(made_by.display_value)


def _record(
    session: Session, runs: list[FlowRun], schedules: dict[UUID, tuple[str, str]]
) -> list[FlowRun]:
    known = set(
        session.scalars(
            select(FlowRunRecord.run_id).where(FlowRunRecord.run_id.in_([str(r.id) for r in runs]))
        )
    )
    owners = {owner for owner, _ in schedules.values()}
    wanted = select(User.name, User.id).where(User.name.in_(owners))
    user_ids = dict(session.execute(wanted).all())
    claimed = []
    for run in runs:
        owner, schedule = schedules[run.id]
        owner_id = user_ids.get(owner)
        if str(run.id) in known or owner_id is None:
            continue
        record = FlowRunRecord(
            run_id=str(run.id),
            flow_name=NOTEBOOK_FLOW,
            owner_id=owner_id,
            parameters=dict(run.parameters),
            schedule=schedule,
            created_at=run.expected_start_time or run.created or datetime.now(UTC),
        )
        try:
            # A savepoint: another request claiming the same run at once is not an error.
            with session.begin_nested():
                session.add(record)
        except IntegrityError:
            continue
        claimed.append(run)
    return claimed
