"""REST handlers of the lakebook server extension, mounted under /lakebook."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

import tornado.web
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from lakebook.common.settings import SettingsError, load_settings

HEALTH_TIMEOUT_SECONDS = 2.0


def gateway_url() -> str:
    """The gateway base URL from lakebook's settings (LAKEBOOK_GATEWAY_URL or the embedded one)."""
    try:
        return load_settings().gateway_base_url
    except SettingsError as error:
        raise tornado.web.HTTPError(
            HTTPStatus.SERVICE_UNAVAILABLE, "lakebook settings are invalid: %s", error
        ) from error


async def gateway_is_healthy(url: str, timeout: float = HEALTH_TIMEOUT_SECONDS) -> bool:
    """Return True when GET {url}/healthz answers 2xx within the timeout."""
    client = AsyncHTTPClient()
    try:
        response = await client.fetch(
            f"{url}/healthz",
            method="GET",
            connect_timeout=timeout,
            request_timeout=timeout,
            follow_redirects=False,
            raise_error=False,
        )
    except (OSError, HTTPClientError, ValueError):
        return False
    return 200 <= response.code < 300


class LakebookHandler(APIHandler):
    """Base handler answering errors as JSON {"code", "message"}."""

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Render any error as a small JSON body instead of an HTML page."""
        exc_info = kwargs.get("exc_info")
        message = self._reason
        if exc_info is not None:
            error = exc_info[1]
            if isinstance(error, tornado.web.HTTPError) and error.log_message:
                message = error.log_message % error.args if error.args else error.log_message
        try:
            code = HTTPStatus(status_code).phrase.lower().replace(" ", "_")
        except ValueError:
            code = "error"
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"code": code, "message": message}))


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


def setup_handlers(web_app: tornado.web.Application) -> None:
    """Mount the lakebook handlers under the server base URL."""
    host_pattern = ".*$"
    base_url: str = web_app.settings["base_url"]
    handlers: list[tuple[str, type[tornado.web.RequestHandler]]] = [
        (url_path_join(base_url, "lakebook", "status"), StatusHandler),
    ]
    web_app.add_handlers(host_pattern, handlers)
