"""REST handlers of the lakebook server extension, mounted under /lakebook."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

import tornado.web
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from lakebook.kernel.gateway_http import DEPLOYMENTS_PATH, RUNS_PATH, execute_path, run_path
from lakebook.lab.gateway import GatewayError, call_gateway, gateway_is_healthy, gateway_url

RUNS_LISTED = 10


class LakebookHandler(APIHandler):
    """Base handler answering errors as JSON {"code", "message"}."""

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Render any error as a small JSON body instead of an HTML page."""
        exc_info = kwargs.get("exc_info")
        message = self._reason
        body: dict[str, Any] = {}
        if exc_info is not None:
            error = exc_info[1]
            if isinstance(error, GatewayError):
                message = error.message
                if error.fields:
                    body["fields"] = error.fields
            elif isinstance(error, tornado.web.HTTPError) and error.log_message:
                message = error.log_message % error.args if error.args else error.log_message
        try:
            code = HTTPStatus(status_code).phrase.lower().replace(" ", "_")
        except ValueError:
            code = "error"
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"code": code, "message": message, **body}))


class StatusHandler(LakebookHandler):
    """GET /lakebook/status: report the gateway URL and whether it is reachable."""

    @tornado.web.authenticated
    async def get(self) -> None:
        """Answer {"gateway_url": str, "gateway_ok": bool}."""
        url = gateway_url()
        ok = await gateway_is_healthy(url)
        if not ok:
            self.log.debug("lakebook gateway at %s is not reachable", url)
        self.finish(json.dumps({"gateway_url": url, "gateway_ok": ok}))


class DeploymentsHandler(LakebookHandler):
    """GET /lakebook/deployments: the flows the gateway can launch, with parameter schemas."""

    @tornado.web.authenticated
    async def get(self) -> None:
        _, deployments = await call_gateway("GET", DEPLOYMENTS_PATH)
        self.finish(json.dumps(deployments))


class ExecuteHandler(LakebookHandler):
    """POST /lakebook/flows/{name}/execute {"parameters": {...}}: launch a run as the user."""

    @tornado.web.authenticated
    async def post(self, flow_name: str) -> None:
        try:
            body = json.loads(self.request.body or b"{}")
        except ValueError as error:
            raise GatewayError(HTTPStatus.BAD_REQUEST, f"the body is not JSON: {error}") from error
        parameters = body.get("parameters", {}) if isinstance(body, dict) else None
        if not isinstance(parameters, dict):
            raise GatewayError(
                HTTPStatus.BAD_REQUEST, 'parameters must be a JSON object, like {"message": "hi"}'
            )
        status, launched = await call_gateway(
            "POST", execute_path(flow_name), json={"parameters": parameters}
        )
        self.set_status(status)
        self.finish(json.dumps(launched))


class RunsHandler(LakebookHandler):
    """GET /lakebook/runs: the user's latest runs."""

    @tornado.web.authenticated
    async def get(self) -> None:
        _, runs = await call_gateway("GET", RUNS_PATH, params={"limit": RUNS_LISTED})
        self.finish(json.dumps(runs))


class RunHandler(LakebookHandler):
    """GET /lakebook/runs/{run_id}: one run's state."""

    @tornado.web.authenticated
    async def get(self, run_id: str) -> None:
        _, run = await call_gateway("GET", run_path(run_id))
        self.finish(json.dumps(run))


def setup_handlers(web_app: tornado.web.Application) -> None:
    """Mount the lakebook handlers under the server base URL."""
    host_pattern = ".*$"
    base_url: str = web_app.settings["base_url"]
    handlers: list[tuple[str, type[tornado.web.RequestHandler]]] = [
        (url_path_join(base_url, "lakebook", "status"), StatusHandler),
        (url_path_join(base_url, "lakebook", "deployments"), DeploymentsHandler),
        (url_path_join(base_url, "lakebook", "flows", "([^/]+)", "execute"), ExecuteHandler),
        (url_path_join(base_url, "lakebook", "runs"), RunsHandler),
        (url_path_join(base_url, "lakebook", "runs", "([^/]+)"), RunHandler),
    ]
    web_app.add_handlers(host_pattern, handlers)
