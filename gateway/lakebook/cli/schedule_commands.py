"""`lakebook schedule NOTEBOOK --cron ... | list | pause | resume | delete`: notebook schedules.

Like `lakebook user`, this is the operator's command on the stack's machine: it talks to Prefect
(`LAKEBOOK_PREFECT_API_URL`) and the gateway database directly, acting for `--owner` (default the
local admin), with the same checks the gateway's schedule API makes.
"""

from __future__ import annotations

import ast
import asyncio
import json
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from prefect.client.orchestration import PrefectClient
from sqlalchemy.exc import SQLAlchemyError

from lakebook.cli.console import Console
from lakebook.common.exit_codes import EXIT_FAILURE, EXIT_OK, EXIT_USAGE
from lakebook.common.lake import LakePaths
from lakebook.common.settings import Settings, SettingsError
from lakebook.gateway.db import session_scope
from lakebook.gateway.orchestrator import PrefectUnavailableError
from lakebook.gateway.prefect_client import prefect_client
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
from lakebook.gateway.users import find_user
from lakebook.lake.notebook_params import NotebookParameter
from lakebook.lake.notebook_source import is_lake_location, workspace_parameter
from lakebook.lake.store import LakeError, LakeStore

ACTIONS = ("list", "pause", "resume", "delete")


def parse_assignments(
    assignments: Sequence[str], declared: dict[str, NotebookParameter] | None
) -> dict[str, Any]:
    """`-p k=v` values, read as the type the notebook declares for `k` (strings stay strings)."""
    values: dict[str, Any] = {}
    for assignment in assignments:
        key, sep, text = assignment.partition("=")
        if not sep or not key.strip():
            raise ScheduleInputError("parameters", f"-p {assignment!r}: use -p name=value")
        parameter = (declared or {}).get(key.strip())
        values[key.strip()] = _typed_value(text, parameter)
    return values


def _typed_value(text: str, parameter: NotebookParameter | None) -> Any:
    if parameter is not None and parameter.type_name == "str":
        return None if parameter.optional and text in ("None", "null") else text
    if parameter is None:
        return text  # unknown: the check names it
    for parse in (json.loads, ast.literal_eval):
        try:
            return parse(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
    return text  # not a literal: a string, which the type check refuses if it must not be


def _prefect(settings: Settings) -> PrefectClient:
    return prefect_client(settings.prefect.url, settings.outbound_timeout_seconds)


def _check_owner(settings: Settings, owner: str) -> None:
    with session_scope(settings.gateway.database) as session:
        if find_user(session, owner) is None:
            raise ScheduleInputError(
                "owner", f"no user {owner!r}: add one with `lakebook user add` or pass --owner"
            )


def _describe(schedule: NotebookSchedule) -> str:
    state = "active" if schedule.active else "paused"
    next_run = schedule.next_run_at.isoformat() if schedule.next_run_at else "-"
    parameters = json.dumps(schedule.parameters, sort_keys=True)
    return (
        f"{schedule.id:<32} {state:<7} {schedule.cron!r} {schedule.timezone:<16} "
        f"next {next_run}  {schedule.notebook} {parameters}"
    )


def _workspace(settings: Settings) -> Path:
    return (settings.flows.notebook_dir or Path.cwd()).resolve()


def _notebook_parameter(settings: Settings, target: str) -> str:
    """run_notebook's `notebook` for the command-line argument: a lake key or URI as given; a
    file path (relative to here) as a path relative to the workspace folder."""
    if is_lake_location(target):
        return target.strip()
    workspace = _workspace(settings)
    given = Path(target)
    absolute = given if given.is_absolute() else Path.cwd() / given
    try:
        relative = absolute.resolve().relative_to(workspace)
    except ValueError:
        raise ScheduleInputError(
            "notebook", f"{target} is not inside the workspace folder {workspace}"
        ) from None
    return workspace_parameter(PurePosixPath(relative.as_posix()))


def run_schedule_command(settings: Settings, console: Console, args: Any) -> int:
    """Dispatches `lakebook schedule ...`; exit 2 for anything the user can fix."""
    try:
        return asyncio.run(_dispatch(settings, console, args))
    except (ScheduleInputError, ScheduleNotFoundError, ScheduleExistsError) as error:
        console.error(str(error))
        return EXIT_USAGE
    except (PrefectUnavailableError, LakeError, SettingsError) as error:
        console.error(str(error))
        return EXIT_FAILURE
    except SQLAlchemyError as error:
        console.error(f"cannot reach the gateway database: {error.__class__.__name__}: {error}")
        return EXIT_FAILURE


async def _dispatch(settings: Settings, console: Console, args: Any) -> int:
    action = args.target if args.target in ACTIONS else "create"
    if action == "list":
        async with _prefect(settings) as client:
            owner = None if args.all else args.owner
            listed = await NotebookSchedules(client).list(owner)
        for schedule in listed:
            console.say(_describe(schedule))
        if not listed:
            # On stderr, like kubectl's "No resources found": stdout stays one line per schedule.
            console.note("no schedules" + ("" if owner is None else f" of {owner!r}"))
        return EXIT_OK
    if action != "create":
        if not args.schedule_name:
            raise ScheduleInputError("name", f"usage: lakebook schedule {action} NAME")
        async with _prefect(settings) as client:
            schedules = NotebookSchedules(client)
            if action == "delete":
                await schedules.delete(args.owner, args.schedule_name)
                console.say(f"deleted schedule {args.schedule_name!r}")
            else:
                changed = await schedules.set_active(
                    args.owner, args.schedule_name, action == "resume"
                )
                console.say(_describe(changed))
        return EXIT_OK
    return await _create(settings, console, args)


async def _create(settings: Settings, console: Console, args: Any) -> int:
    if args.schedule_name:
        raise ScheduleInputError("notebook", f"unexpected argument {args.schedule_name!r}")
    if not args.cron:
        raise ScheduleInputError("cron", 'give the schedule with --cron "MIN HOUR DOM MON DOW"')
    notebook = _notebook_parameter(settings, args.target)
    name = args.name or PurePosixPath(notebook).stem.lower()
    check_schedule_name(name)
    schedule = cron_schedule(args.cron, args.timezone)
    source = locate_schedule_notebook(
        notebook, _workspace(settings), LakePaths(settings.s3.lake_root)
    )
    # Lake credentials are only needed (and only asked for) when the notebook is in the lake.
    store = LakeStore.from_settings(settings) if source.lake_key is not None else None
    declared = notebook_parameters(source, store)
    parameters = parse_assignments(args.parameter, declared)
    check_notebook_parameters(declared, parameters)
    _check_owner(settings, args.owner)
    async with _prefect(settings) as client:
        created = await NotebookSchedules(client).create(
            args.owner, name, notebook, schedule, parameters
        )
    console.say(f"scheduled {created.id}")
    console.say(_describe(created))
    return EXIT_OK
