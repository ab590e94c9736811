"""`%lakebook login|status|runs`: the gateway side of the magics, each answer one line or one
table; a gateway that is down or a token that has expired is a UsageError saying what to do."""

from __future__ import annotations

import getpass
from collections.abc import Callable

from IPython.core.error import UsageError

from lakebook.common.api import RunOut
from lakebook.common.settings import Settings
from lakebook.kernel.client import connect
from lakebook.kernel.errors import LakebookError, parse_answers
from lakebook.kernel.gateway_http import RUNS_PATH
from lakebook.kernel.login import login
from lakebook.kernel.render import ResultPreview, TextPreview

RUNS_SHOWN = 20
PasswordPrompt = Callable[[str], str]


def sign_in(settings: Settings, user: str, ask_password: PasswordPrompt | None = None) -> str:
    """Signs in with a password typed into the notebook (never kept in a cell or history)."""
    gateway_url = settings.gateway.base_url
    password = (ask_password or getpass.getpass)(f"password for {user} at {gateway_url}: ")
    try:
        credentials = login(settings, gateway_url, user, password)
    except LakebookError as error:
        raise UsageError(error.message) from None
    return f"signed in to {gateway_url} as {user}; token saved in {credentials.source}"


def status(settings: Settings) -> TextPreview:
    """Who the kernel acts as, against which gateway and lake, and until when."""
    try:
        with connect(settings=settings) as client:
            me = client.me()
            url = client.url
    except LakebookError as error:
        raise UsageError(error.message) from None
    lake = settings.s3.lake_root
    return TextPreview(
        f"gateway {url}: signed in as {me.name} ({me.role}), token valid until "
        f"{me.token_expires_at:%Y-%m-%d %H:%M %Z}; lake {lake}"
    )


def recent_runs(settings: Settings, flow: str | None = None) -> ResultPreview:
    """The caller's latest runs, newest first."""
    params: dict[str, object] = {"limit": RUNS_SHOWN}
    if flow is not None:
        params["flow"] = flow
    try:
        with connect(settings=settings) as client:
            runs = parse_answers(RunOut, client.http.request("GET", RUNS_PATH, params=params))
    except LakebookError as error:
        raise UsageError(error.message) from None
    rows = [(r.run_id, r.flow_name, r.state_name, r.created_at, r.end_time) for r in runs]
    columns = ["run_id", "flow", "state", "created_at", "ended_at"]
    types = [
        "VARCHAR",
        "VARCHAR",
        "VARCHAR",
        "TIMESTAMP WITH TIME ZONE",
        "TIMESTAMP WITH TIME ZONE",
    ]
    return ResultPreview(columns, types, rows, len(rows), 0.0)
