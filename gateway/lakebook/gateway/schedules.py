"""Notebook schedules: cron schedules, with their own parameters, on the `run_notebook` deployment.

Prefect holds them (one deployment schedule each); nothing is stored twice. The schedule's slug
`lakebook:{owner}:{name}` carries the owner, and every run Prefect creates from it names the slug
in `created_by`, which is how the gateway knows whose scheduled run it is (see scheduled_runs.py).
Used by the gateway routes and by the `lakebook schedule` command.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.actions import DeploymentScheduleCreate
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterDeploymentId,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import DeploymentSchedule, StateType
from prefect.client.schemas.schedules import CronSchedule
from prefect.client.schemas.sorting import FlowRunSort
from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError
from pydantic import ValidationError

from lakebook.common.deployments import deployment_path, parse_schedule_slug, schedule_slug
from lakebook.common.lake import LakePaths
from lakebook.gateway.orchestrator import PrefectUnavailableError
from lakebook.lake.notebook_params import (
    NotebookParameter,
    NotebookParameterError,
    check_parameters,
    read_parameters,
)
from lakebook.lake.notebook_source import (
    NotebookLocationError,
    NotebookSource,
    locate_notebook,
    parse_notebook,
    read_notebook_bytes,
)
from lakebook.lake.store import LakeAccessError, LakeNotFoundError, LakeStore

logger = logging.getLogger(__name__)

# The built-in flow that executes a notebook with papermill (lakebook.flows).
NOTEBOOK_FLOW = "run_notebook"
SCHEDULE_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")
# Read whole to find the `parameters` cell; outputs can make notebooks big, but not this big.
MAX_NOTEBOOK_BYTES = 32 * 2**20
# Prefect's own page limit; enough to find each schedule's next run.
_RUNS_PAGE = 200


class ScheduleInputError(ValueError):
    """A request that cannot become a schedule; `field` names the part to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class ScheduleNotFoundError(LookupError):
    """No schedule of that name (for that owner)."""


class ScheduleExistsError(ValueError):
    """The owner already has a schedule of that name."""


@dataclass(frozen=True)
class NotebookSchedule:
    owner: str
    name: str
    notebook: str
    cron: str
    timezone: str
    parameters: dict[str, Any]
    active: bool
    next_run_at: datetime | None

    @property
    def id(self) -> str:
        """`owner:name`: unique, since user names cannot hold a colon."""
        return f"{self.owner}:{self.name}"


CRON_FIELDS = 5


def check_schedule_name(name: str) -> None:
    if not SCHEDULE_NAME.fullmatch(name):
        raise ScheduleInputError(
            "name",
            f"schedule name {name!r} is not allowed: use 1-63 lower-case letters, digits, "
            "'_', '.' or '-', starting with a letter or digit",
        )


def cron_schedule(cron: str, timezone: str) -> CronSchedule:
    """Prefect's cron schedule, or ScheduleInputError naming the bad cron or timezone."""
    fields = cron.split()
    if len(fields) != CRON_FIELDS and not (len(fields) == 1 and cron.startswith("@")):
        # croniter also takes 6 and 7 fields (seconds, years): `* * * * * * *` ran a notebook
        # every second. Five, as crontab, jupyter-scheduler and the panel's presets write them.
        raise ScheduleInputError(
            "cron",
            f"{cron!r} has {len(fields)} fields, not five: minute hour day-of-month month "
            "day-of-week (e.g. '0 6 * * *')",
        )
    try:
        return CronSchedule(cron=cron, timezone=timezone)
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "cron"
        message = str(first["msg"]).removeprefix("Value error, ")
        if field == "cron":
            message += " (five fields: minute hour day-of-month month day-of-week)"
        raise ScheduleInputError(field, message) from None


def locate_schedule_notebook(notebook: str, workspace: Path, lake: LakePaths) -> NotebookSource:
    """The notebook a schedule would run, by run_notebook's rule (workspace path or lake key)."""
    try:
        return locate_notebook(notebook, workspace=workspace, lake=lake)
    except NotebookLocationError as error:
        raise ScheduleInputError("notebook", str(error)) from None


def notebook_parameters(
    source: NotebookSource, store: LakeStore | None
) -> dict[str, NotebookParameter] | None:
    """The notebook's papermill parameters (None: no `parameters` cell), wherever it lives.

    `store` is only used (and required) for a lake notebook. Blocking (file or S3 reads): the
    gateway calls it in a worker thread.
    """
    try:
        document = parse_notebook(source, _read_capped(source, store))
        return read_parameters(document)
    except (NotebookLocationError, NotebookParameterError) as error:
        raise ScheduleInputError("notebook", str(error)) from None


def _read_capped(source: NotebookSource, store: LakeStore | None) -> bytes:
    """The notebook's bytes, refusing files over MAX_NOTEBOOK_BYTES before reading them whole."""
    try:
        return read_notebook_bytes(source, store, max_bytes=MAX_NOTEBOOK_BYTES)
    except (LakeNotFoundError, LakeAccessError) as error:
        raise ScheduleInputError(
            "notebook", f"cannot read the lake notebook {source.display}: {error}"
        ) from None


def check_notebook_parameters(
    declared: dict[str, NotebookParameter] | None, given: Mapping[str, Any]
) -> None:
    try:
        check_parameters(declared, given)
    except NotebookParameterError as error:
        raise ScheduleInputError("parameters", str(error)) from None


@contextlib.asynccontextmanager
async def answering(client: PrefectClient) -> AsyncIterator[None]:
    """Prefect failures as PrefectUnavailableError (503); a slug clash as ScheduleExistsError."""
    try:
        yield
    except (httpx.TransportError, httpx.TimeoutException) as error:
        raise PrefectUnavailableError(
            f"Prefect at {client.api_url} is unreachable ({type(error).__name__}); "
            "try again shortly"
        ) from error
    except PrefectHTTPStatusError as error:
        if error.response.status_code == httpx.codes.CONFLICT:
            raise ScheduleExistsError("a schedule of that name already exists") from error
        raise PrefectUnavailableError(
            f"Prefect at {client.api_url} failed: HTTP {error.response.status_code}"
        ) from error


class NotebookSchedules:
    """Schedule operations on Prefect; every Prefect failure becomes PrefectUnavailableError."""

    def __init__(self, client: PrefectClient, deployment: str = deployment_path(NOTEBOOK_FLOW)):
        self.client = client
        self.deployment = deployment

    async def _deployment_id(self) -> UUID:
        try:
            found = await self.client.read_deployment_by_name(self.deployment)
        except ObjectNotFound:
            raise PrefectUnavailableError(
                f"the {self.deployment} deployment does not exist: is the flow runner up?"
            ) from None
        return found.id

    async def create(
        self,
        owner: str,
        name: str,
        notebook: str,
        schedule: CronSchedule,
        parameters: dict[str, Any],
        flow_options: Mapping[str, Any] | None = None,
    ) -> NotebookSchedule:
        """Adds the schedule (checked beforehand by the caller) and fills its next runs."""
        check_schedule_name(name)
        flow_parameters = {"notebook": notebook, "parameters": parameters, **(flow_options or {})}
        async with answering(self.client):
            deployment_id = await self._deployment_id()
            if await self._find(deployment_id, owner, name, missing_ok=True) is not None:
                raise ScheduleExistsError(f"you already have a schedule named {name!r}")
            await self.client.create_deployment_schedules(
                deployment_id,
                [
                    DeploymentScheduleCreate(
                        schedule=schedule,
                        active=True,
                        parameters=flow_parameters,
                        slug=schedule_slug(owner, name),
                    )
                ],
            )
        await self._fill_runs(deployment_id)
        return await self.get(owner, name)

    async def list(self, owner: str | None) -> list[NotebookSchedule]:
        """The owner's schedules (None: everyone's), by owner and name."""
        async with answering(self.client):
            deployment_id = await self._deployment_id()
            found = await self.client.read_deployment_schedules(deployment_id)
            mine = [
                s
                for s in found
                if (owned := parse_schedule_slug(s.slug)) and owner in (None, owned[0])
            ]
            next_runs = await self._next_runs(deployment_id) if mine else {}
        schedules = [_schedule(s, next_runs.get(s.id)) for s in mine]
        return sorted(schedules, key=lambda s: (s.owner, s.name))

    async def get(self, owner: str, name: str) -> NotebookSchedule:
        for schedule in await self.list(owner):
            if schedule.name == name:
                return schedule
        raise ScheduleNotFoundError(f"no schedule named {name!r}")

    async def set_active(self, owner: str, name: str, active: bool) -> NotebookSchedule:
        """Pause (future runs are removed) or resume (next runs are created again)."""
        async with answering(self.client):
            deployment_id = await self._deployment_id()
            found = await self._find(deployment_id, owner, name)
            # The schedule's parameters go along: Prefect's server resets the ones an update
            # leaves out to {}, which would drop the notebook a resumed schedule runs.
            await self.client.update_deployment_schedule(
                deployment_id, found.id, active=active, parameters=dict(found.parameters or {})
            )
        await self._fill_runs(deployment_id)
        return await self.get(owner, name)

    async def delete(self, owner: str, name: str) -> None:
        async with answering(self.client):
            deployment_id = await self._deployment_id()
            found = await self._find(deployment_id, owner, name)
            await self.client.delete_deployment_schedule(deployment_id, found.id)
        await self._fill_runs(deployment_id)

    async def _find(
        self, deployment_id: UUID, owner: str, name: str, missing_ok: bool = False
    ) -> Any:
        for schedule in await self.client.read_deployment_schedules(deployment_id):
            if parse_schedule_slug(schedule.slug) == (owner, name):
                return schedule
        if missing_ok:
            return None
        raise ScheduleNotFoundError(f"no schedule named {name!r}")

    async def _next_runs(self, deployment_id: UUID) -> dict[UUID, datetime]:
        """Each schedule's earliest pending run."""
        runs = await self.client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                deployment_id=FlowRunFilterDeploymentId(any_=[deployment_id]),
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED])),
            ),
            sort=FlowRunSort.EXPECTED_START_TIME_ASC,
            limit=_RUNS_PAGE,
        )
        earliest: dict[UUID, datetime] = {}
        for run in runs:
            made_by = run.created_by
            if made_by and made_by.type == "SCHEDULE" and made_by.id and run.expected_start_time:
                earliest.setdefault(made_by.id, run.expected_start_time)
        return earliest

    async def _fill_runs(self, deployment_id: UUID) -> None:
        """Asks Prefect to create the deployment's next runs now.

        Changing or deleting any schedule makes Prefect drop every future run of the deployment,
        and its scheduler only refills them on its next loop (60 s): a run due in between would
        be skipped. Best effort, without the client's retries: the schedule itself is saved.
        """
        url = f"{self.client.api_url}deployments/{deployment_id}/schedule"
        try:
            async with httpx.AsyncClient(timeout=self.client._client.timeout) as http:
                response = await http.post(url, json={})
            response.raise_for_status()
        except httpx.HTTPError as error:
            logger.warning("Prefect did not create the next scheduled runs: %s", error)


def _schedule(found: DeploymentSchedule, next_run_at: datetime | None) -> NotebookSchedule:
    owner_and_name = parse_schedule_slug(found.slug)
    assert owner_and_name is not None  # only lakebook schedules get here
    cron = found.schedule
    parameters = dict(found.parameters or {})
    return NotebookSchedule(
        owner=owner_and_name[0],
        name=owner_and_name[1],
        notebook=str(parameters.get("notebook", "")),
        cron=getattr(cron, "cron", str(cron)),
        timezone=getattr(cron, "timezone", None) or "UTC",
        parameters=dict(parameters.get("parameters") or {}),
        active=bool(found.active),
        next_run_at=next_run_at if found.active else None,
    )
