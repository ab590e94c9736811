"""Notebook schedules (the gateway's), and the parameters of a notebook in Lab's file browser."""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path, PurePosixPath
from typing import Any

import tornado.web
from jupyter_core.utils import ensure_async
from pydantic import BaseModel, Field, TypeAdapter

from lakebook.common.api import (
    NotebookParameterOut,
    NotebookParametersOut,
    ScheduleChange,
    ScheduleCreate,
    ScheduleOut,
)
from lakebook.common.settings import SettingsError, get_settings
from lakebook.kernel.gateway_http import SCHEDULES_PATH, schedule_path
from lakebook.lab.base import LakebookHandler
from lakebook.lab.forwarding import forward, query_model
from lakebook.lab.gateway import GatewayError
from lakebook.lake.notebook_params import NotebookParameterError, read_parameters
from lakebook.lake.notebook_source import NOTEBOOK_SUFFIX, workspace_parameter

SCHEDULE_LIST: TypeAdapter[Any] = TypeAdapter(list[ScheduleOut])
SCHEDULE: TypeAdapter[Any] = TypeAdapter(ScheduleOut)


class SchedulesHandler(LakebookHandler):
    """GET /lakebook/schedules: the user's schedules; POST: create one (201 ScheduleOut)."""

    @tornado.web.authenticated
    async def get(self) -> None:
        await forward(self, SCHEDULE_LIST, "GET", SCHEDULES_PATH)

    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.body_model(ScheduleCreate)
        # Only what the panel set: the gateway's own defaults apply to the rest.
        sent = body.model_dump(mode="json", exclude_unset=True)
        await forward(self, SCHEDULE, "POST", SCHEDULES_PATH, json=sent)


class ScheduleHandler(LakebookHandler):
    """PATCH /lakebook/schedules/{id} {"active"}: pause or resume; DELETE: 204."""

    @tornado.web.authenticated
    async def patch(self, schedule_id: str) -> None:
        body = self.body_model(ScheduleChange)
        await forward(self, SCHEDULE, "PATCH", schedule_path(schedule_id), json=body.model_dump())

    @tornado.web.authenticated
    async def delete(self, schedule_id: str) -> None:
        await forward(self, None, "DELETE", schedule_path(schedule_id))


class NotebookQuery(BaseModel):
    path: str = Field(min_length=1, max_length=1024, description="A Jupyter contents path.")


def workspace_folder() -> Path:
    """The folder the runner runs workspace notebooks from, by the gateway's own rule
    (LAKEBOOK_NOTEBOOK_DIR, which `lakebook up` sets to Lab's root; unset: the current folder)."""
    try:
        notebook_dir = get_settings().flows.notebook_dir
    except SettingsError as error:
        raise GatewayError(
            HTTPStatus.SERVICE_UNAVAILABLE, f"lakebook settings are invalid: {error}"
        ) from error
    return (notebook_dir or Path.cwd()).resolve()


def schedule_notebook(lab_root: Path, contents_path: str) -> str:
    """What a schedule's `notebook` takes for this Lab file: its path relative to the workspace
    folder; 400 when the file is outside it (the runner could not find it)."""
    workspace = workspace_folder()
    located = (lab_root / contents_path).resolve()
    if not located.is_relative_to(workspace):
        raise GatewayError(
            HTTPStatus.BAD_REQUEST,
            f"{contents_path} is outside the workspace folder {workspace} that scheduled "
            "notebooks run from; move it there, or start lakebook with --notebook-dir "
            "(LAKEBOOK_NOTEBOOK_DIR) at JupyterLab's root",
            [{"field": "path", "message": "outside the workspace folder"}],
        )
    return workspace_parameter(PurePosixPath(located.relative_to(workspace).as_posix()))


class NotebookParametersHandler(LakebookHandler):
    """GET /lakebook/notebook-parameters?path=: the notebook's `parameters` cell, read through
    Jupyter's contents manager (so what may be read is Jupyter's rule)."""

    @tornado.web.authenticated
    async def get(self) -> None:
        path = query_model(self, NotebookQuery).path.strip("/")
        if not path.lower().endswith(NOTEBOOK_SUFFIX):
            raise GatewayError(
                HTTPStatus.BAD_REQUEST,
                f"{path} is not a notebook: the name must end in {NOTEBOOK_SUFFIX}",
                [{"field": "path", "message": f"not a {NOTEBOOK_SUFFIX} file"}],
            )
        contents: Any = self.contents_manager  # untyped in jupyter_server
        model = await ensure_async(contents.get(path, content=True, type="notebook"))
        try:
            declared = read_parameters(model["content"])
        except NotebookParameterError as error:
            raise GatewayError(HTTPStatus.BAD_REQUEST, f"{path}: {error}") from error
        answer = NotebookParametersOut(
            notebook=schedule_notebook(Path(contents.root_dir), path),
            parameters=[
                NotebookParameterOut(
                    name=parameter.name,
                    type=parameter.type_name,
                    default=parameter.default,
                    optional=parameter.optional,
                    help=parameter.help,
                )
                for parameter in (declared or {}).values()
            ],
        )
        self.set_header("Content-Type", "application/json")
        self.finish(answer.model_dump_json())


SCHEDULE_ROUTES: list[tuple[tuple[str, ...], type[tornado.web.RequestHandler]]] = [
    (("schedules",), SchedulesHandler),
    (("schedules", "([^/]+)"), ScheduleHandler),
    (("notebook-parameters",), NotebookParametersHandler),
]
