"""A run_notebook run's report for the panel: its description, and its two files served from
this server (the browser may not reach the lake; the gateway's URLs are fetched here)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import httpx
import tornado.web
from pydantic import TypeAdapter

from lakebook.common.api import ReportOut
from lakebook.kernel.gateway_http import run_report_path
from lakebook.lab.base import LakebookHandler
from lakebook.lab.forwarding import checked_model, forward
from lakebook.lab.gateway import GatewayError

REPORT: TypeAdapter[Any] = TypeAdapter(ReportOut)
FETCH_TIMEOUT_SECONDS = 60.0
# The report's HTML is the user's own notebook output: shown in a frame that may run nothing
# and reach nothing of Lab's (a CSP sandbox without allow-scripts or allow-same-origin).
HTML_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": "sandbox; frame-ancestors 'self'",
    "X-Content-Type-Options": "nosniff",
}
NOTEBOOK_HEADERS = {"Content-Type": "application/x-ipynb+json"}


class ReportHandler(LakebookHandler):
    """GET /lakebook/runs/{id}/report: how the notebook run went; 404 when it published none."""

    @tornado.web.authenticated
    async def get(self, run_id: str) -> None:
        await forward(self, REPORT, "GET", run_report_path(run_id))


class ReportFileHandler(LakebookHandler):
    """GET /lakebook/runs/{id}/report/html (sandboxed) and /report/notebook (the executed
    .ipynb), fetched through the gateway's short-lived URLs after its owner check."""

    @tornado.web.authenticated
    async def get(self, run_id: str, kind: str) -> None:
        _, body = await self.gateway("GET", run_report_path(run_id))
        report: ReportOut = checked_model(REPORT, body, "GET report")
        url = report.html_url if kind == "html" else report.notebook_url
        if url is None:
            raise GatewayError(
                HTTPStatus.NOT_FOUND,
                f"the report of run {run_id!r} is in a local-folder lake: open {report.html_uri}",
            )
        try:
            async with httpx.AsyncClient(timeout=FETCH_TIMEOUT_SECONDS) as client:
                answer = await client.get(url)
        except httpx.HTTPError as error:
            raise GatewayError(
                HTTPStatus.BAD_GATEWAY, f"cannot read the report from the lake: {error}"
            ) from error
        if answer.status_code != HTTPStatus.OK:
            raise GatewayError(
                HTTPStatus.BAD_GATEWAY,
                f"the lake answered {answer.status_code} for the report's {kind}",
            )
        for name, value in (HTML_HEADERS if kind == "html" else NOTEBOOK_HEADERS).items():
            self.set_header(name, value)
        # APIHandler.finish would label any answer JSON: a file is finished as tornado's.
        tornado.web.RequestHandler.finish(self, answer.content)


REPORT_ROUTES: list[tuple[tuple[str, ...], type[tornado.web.RequestHandler]]] = [
    (("runs", "([^/]+)", "report", "(html|notebook)"), ReportFileHandler),
    (("runs", "([^/]+)", "report"), ReportHandler),
]
