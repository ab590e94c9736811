"""REST handlers of the lakebook server extension, mounted under /lakebook."""

from __future__ import annotations

import json
from http import HTTPStatus

import tornado.web
from jupyter_server.utils import url_path_join

from lakebook.kernel.gateway_http import DEPLOYMENTS_PATH, execute_path
from lakebook.lab.base import LakebookHandler
from lakebook.lab.gateway import GatewayError, gateway_is_healthy, gateway_url
from lakebook.lab.lake_handlers import LAKE_ROUTES
from lakebook.lab.report_handlers import REPORT_ROUTES
from lakebook.lab.run_events import EVENT_ROUTES
from lakebook.lab.run_handlers import RUN_ROUTES
from lakebook.lab.schedule_handlers import SCHEDULE_ROUTES
from lakebook.lab.session_handlers import SessionHandler


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
        _, deployments = await self.gateway("GET", DEPLOYMENTS_PATH)
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
        status, launched = await self.gateway(
            "POST", execute_path(flow_name), json={"parameters": parameters}
        )
        self.set_status(status)
        self.finish(json.dumps(launched))


def setup_handlers(web_app: tornado.web.Application) -> None:
    """Mount the lakebook handlers under the server base URL."""
    host_pattern = ".*$"
    base_url: str = web_app.settings["base_url"]
    handlers: list[tuple[str, type[tornado.web.RequestHandler]]] = [
        (url_path_join(base_url, "lakebook", "status"), StatusHandler),
        (url_path_join(base_url, "lakebook", "deployments"), DeploymentsHandler),
        (url_path_join(base_url, "lakebook", "flows", "([^/]+)", "execute"), ExecuteHandler),
        (url_path_join(base_url, "lakebook", "session"), SessionHandler),
    ]
    for routes in (EVENT_ROUTES, REPORT_ROUTES, RUN_ROUTES, LAKE_ROUTES, SCHEDULE_ROUTES):
        handlers += [(url_path_join(base_url, "lakebook", *parts), cls) for parts, cls in routes]
    web_app.add_handlers(host_pattern, handlers)
