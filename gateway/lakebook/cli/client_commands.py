"""`lakebook login`, `run`, `reports` and `share`: the terminal's way in, through the gateway
over HTTP like a kernel (so ownership, validation and the audit log apply to a shell too)."""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Sequence
from typing import Any

from lakebook.cli.console import Console
from lakebook.common.api_datasets import EVERYONE, GrantAccess
from lakebook.common.exit_codes import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from lakebook.common.settings import Settings
from lakebook.kernel.client import connect
from lakebook.kernel.errors import (
    LakebookAuthError,
    LakebookError,
    LakebookNotFound,
    LakebookPermissionError,
    LakebookValidationError,
)
from lakebook.kernel.login import login
from lakebook.kernel.runs import Run

# Gateway answers that mean the command was wrong, not the system: exit 2, like argparse.
_USAGE_ERRORS = (
    LakebookAuthError,
    LakebookNotFound,
    LakebookPermissionError,
    LakebookValidationError,
)


class ParameterSyntaxError(ValueError):
    """A `-p` option that is not `key=value`."""


def parse_parameters(pairs: Sequence[str]) -> dict[str, Any]:
    """`-p key=value` options: values read as JSON when they are (numbers, true, lists, ...),
    otherwise kept as text, so `-p region=north` needs no quotes. The gateway checks types."""
    parameters: dict[str, Any] = {}
    for pair in pairs:
        key, separator, text = pair.partition("=")
        if not separator or not key.strip():
            raise ParameterSyntaxError(f"-p {pair!r}: write parameters as key=value")
        try:
            parameters[key.strip()] = json.loads(text)
        except ValueError:
            parameters[key.strip()] = text
    return parameters


def run_login(
    settings: Settings, console: Console, user: str | None, password_from_stdin: bool
) -> int:
    gateway_url = settings.gateway.url or settings.gateway.base_url
    user = user or input("user: ").strip()
    if password_from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"password for {user} at {gateway_url}: ")
    try:
        credentials = login(settings, gateway_url, user, password)
    except LakebookError as error:
        return _failed(console, error)
    console.say(f"signed in to {gateway_url} as {user}; token saved in {credentials.source}")
    return EXIT_OK


def run_flow(
    settings: Settings,
    console: Console,
    flow: str,
    pairs: Sequence[str],
    *,
    wait: bool,
) -> int:
    try:
        parameters = parse_parameters(pairs)
    except ParameterSyntaxError as error:
        console.error(str(error))
        return EXIT_USAGE
    try:
        with connect(settings=settings) as client:
            run = client.run(flow, **parameters)
            console.say(f"launched {flow} run {run.id}")
            if not wait:
                return EXIT_OK
            final = _follow(console, run)
            if final == "COMPLETED":
                _say_rejects(console, run)
    except LakebookError as error:
        return _failed(console, error)
    except KeyboardInterrupt:
        console.say(f"stopped following; run {run.id} goes on (see GET /flows/runs/{run.id})")
        return EXIT_INTERRUPTED
    console.say(f"run {run.id} ended {final}")
    return EXIT_OK if final == "COMPLETED" else EXIT_FAILURE


def show_reports(settings: Settings, console: Console, limit: int, schedule: str | None) -> int:
    """The caller's notebook reports, newest first: run, name, status, when, where it stopped."""
    try:
        with connect(settings=settings) as client:
            reports = client.reports(limit=limit, schedule=schedule)
    except LakebookError as error:
        return _failed(console, error)
    if not reports and schedule is not None:
        console.note(f"no reports of a schedule named {schedule!r} yet (lakebook schedule list)")
        return EXIT_OK
    if not reports:
        console.note("no reports yet: run a notebook (lakebook run run_notebook -p notebook=…)")
        return EXIT_OK
    for report in reports:
        when = report.published_at.astimezone().strftime("%Y-%m-%d %H:%M")
        stopped = ""
        if report.failed_cell is not None:
            cell = report.failed_cell
            stopped = f"  cell {cell.index}: {cell.ename}: {cell.evalue}"
        made_by = f"  (schedule {report.schedule})" if report.schedule else ""
        name = f"{report.report_name}{made_by}"
        console.say(f"{report.run_id}  {when}  {report.status:<9}  {name}{stopped}")
    return EXIT_OK


def share_dataset(
    settings: Settings,
    console: Console,
    dataset: str,
    grantee: str | None,
    access: GrantAccess,
    *,
    remove: bool,
) -> int:
    """`lakebook share DATASET [--with USER | --everyone] [--access write] [--remove]`; with
    nobody named, whom the dataset is shared with."""
    if remove and grantee is None:
        console.error("--remove needs --with USER or --everyone: whom to stop sharing with")
        return EXIT_USAGE
    try:
        with connect(settings=settings) as client:
            if grantee is None:
                grants = client.grants(dataset)
            elif remove:
                grants = client.unshare(dataset, with_=grantee)
            else:
                grants = client.share(dataset, with_=grantee, access=access)
    except LakebookError as error:
        return _failed(console, error)
    console.say(f"{grants.dataset}: owned by {grants.owner or 'nobody (admins publish)'}")
    for grant in grants.grants:
        who = "everyone" if grant.grantee == EVERYONE else grant.grantee
        console.say(f"  {who:<20} {grant.access:<5}  (by {grant.granted_by})")
    if not grants.grants:
        console.say("  shared with nobody: only its owner and admins read it")
    return EXIT_OK


def _follow(console: Console, run: Run) -> str:
    """Prints state changes and log lines as they happen; returns the final state."""
    final = "UNKNOWN"
    for event in run.events():
        if event.kind == "state":
            message = console.brief(event.data.get("message") or "")
            console.say(f"  {event.data['name']}" + (f": {message}" if message else ""))
        elif event.kind == "log":
            console.say(f"  | {event.data['level']:<7} {console.brief(event.data['message'])}")
        elif event.kind == "end":
            final = str(event.data.get("state"))
    return final


def _say_rejects(console: Console, run: Run) -> None:
    """`3 rows rejected, e.g. line 7: 3 of 8 fields`, when the run left input rows out. The run
    has completed whatever this finds: a failure to ask is a remark, not the command's error."""
    try:
        note = run.rejects_note()
    except LakebookError as error:
        console.note(f"could not ask run {run.id} for its rejected rows: {error.message}")
        return
    if note is not None:
        console.say(f"  {note}")


def _failed(console: Console, error: LakebookError) -> int:
    # One line: a validation error's message already names every field and its problem.
    console.error(error.message)
    return EXIT_USAGE if isinstance(error, _USAGE_ERRORS) else EXIT_FAILURE
