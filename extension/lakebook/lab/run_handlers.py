"""The user's runs: list, detail, state history, logs, cancel and published result."""

from __future__ import annotations

from typing import Any

import tornado.web
from pydantic import BaseModel, Field, TypeAdapter

from lakebook.common.api import Cancelled, LogOut, ResultOut, RunOut, StateOut
from lakebook.kernel.gateway_http import (
    RUNS_PATH,
    run_cancel_path,
    run_logs_path,
    run_path,
    run_result_path,
    run_states_path,
)
from lakebook.lab.base import LakebookHandler
from lakebook.lab.forwarding import forward, query_model

# The bounds are the gateway's own (routes/runs.py), so a bad value is named here, not by it.
MAX_PAGE = 200
MAX_OFFSET = 1_000_000


class RunsQuery(BaseModel):
    flow: str | None = Field(None, min_length=1, max_length=64)
    limit: int = Field(20, ge=1, le=MAX_PAGE)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class LogsQuery(BaseModel):
    limit: int = Field(MAX_PAGE, ge=1, le=MAX_PAGE)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class ResultQuery(BaseModel):
    rows: int = Field(20, ge=0, le=1000)


RUN_LIST: TypeAdapter[Any] = TypeAdapter(list[RunOut])
RUN: TypeAdapter[Any] = TypeAdapter(RunOut)
STATES: TypeAdapter[Any] = TypeAdapter(list[StateOut])
LOGS: TypeAdapter[Any] = TypeAdapter(list[LogOut])
CANCELLED: TypeAdapter[Any] = TypeAdapter(Cancelled)
RESULT: TypeAdapter[Any] = TypeAdapter(ResultOut)


class RunsHandler(LakebookHandler):
    """GET /lakebook/runs?flow=&limit=&offset=: the user's runs, newest first."""

    @tornado.web.authenticated
    async def get(self) -> None:
        query = query_model(self, RunsQuery)
        await forward(self, RUN_LIST, "GET", RUNS_PATH, params=query.model_dump(exclude_none=True))


class RunHandler(LakebookHandler):
    """GET /lakebook/runs/{id}: one run's state."""

    @tornado.web.authenticated
    async def get(self, run_id: str) -> None:
        await forward(self, RUN, "GET", run_path(run_id))


class RunStatesHandler(LakebookHandler):
    """GET /lakebook/runs/{id}/states: every state the run went through, with its message."""

    @tornado.web.authenticated
    async def get(self, run_id: str) -> None:
        await forward(self, STATES, "GET", run_states_path(run_id))


class RunLogsHandler(LakebookHandler):
    """GET /lakebook/runs/{id}/logs?limit=&offset=: the run's log lines, oldest first."""

    @tornado.web.authenticated
    async def get(self, run_id: str) -> None:
        query = query_model(self, LogsQuery)
        await forward(self, LOGS, "GET", run_logs_path(run_id), params=query.model_dump())


class RunCancelHandler(LakebookHandler):
    """POST /lakebook/runs/{id}/cancel: 202 Cancelled; 409 when the run already ended."""

    @tornado.web.authenticated
    async def post(self, run_id: str) -> None:
        await forward(self, CANCELLED, "POST", run_cancel_path(run_id))


class RunResultHandler(LakebookHandler):
    """GET /lakebook/runs/{id}/result?rows=: what the run published; 404 when nothing is."""

    @tornado.web.authenticated
    async def get(self, run_id: str) -> None:
        query = query_model(self, ResultQuery)
        await forward(self, RESULT, "GET", run_result_path(run_id), params=query.model_dump())


RUN_ID = "([^/]+)"
# (path segments under /lakebook, handler); more specific paths first.
RUN_ROUTES: list[tuple[tuple[str, ...], type[tornado.web.RequestHandler]]] = [
    (("runs",), RunsHandler),
    (("runs", RUN_ID, "states"), RunStatesHandler),
    (("runs", RUN_ID, "logs"), RunLogsHandler),
    (("runs", RUN_ID, "cancel"), RunCancelHandler),
    (("runs", RUN_ID, "result"), RunResultHandler),
    (("runs", RUN_ID), RunHandler),
]
