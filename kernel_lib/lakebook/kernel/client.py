"""The gateway client: `lb = connect()`, then `lb.run("ping", message="hi").wait()`."""

from __future__ import annotations

import logging
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx

from lakebook.common.api import (
    DatasetDetail,
    DatasetOut,
    DeploymentOut,
    ExecuteRequest,
    Launched,
    Me,
    ReportOut,
    RunOut,
    UploadOut,
)
from lakebook.common.api_datasets import EVERYONE, DatasetGrantsOut, GrantAccess
from lakebook.common.settings import Settings, get_settings
from lakebook.kernel.credentials import find_credentials
from lakebook.kernel.errors import parse_answer, parse_answers
from lakebook.kernel.gateway_http import (
    DATASETS_PATH,
    DEFAULT_TIMEOUT,
    DEPLOYMENTS_PATH,
    ME_PATH,
    REPORTS_PATH,
    RUNS_PATH,
    UPLOAD_TIMEOUT,
    UPLOADS_PATH,
    GatewayHTTP,
    dataset_grant_path,
    dataset_path,
    execute_path,
)
from lakebook.kernel.runs import Run, read_run_info
from lakebook.kernel.uploads import upload_body

if TYPE_CHECKING:
    from lakebook.lake.publisher import LakePublisher

logger = logging.getLogger(__name__)


class LakebookClient:
    """Talks to the gateway over HTTP; every request has a timeout and raises a LakebookError."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        settings: Settings | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        # Runs and the magics reach the routes this class has no method for through it.
        self.http = GatewayHTTP(url, token, timeout=timeout)
        self.url = self.http.url
        self._settings = settings

    def __repr__(self) -> str:
        return f"LakebookClient(url={self.url!r})"

    def __enter__(self) -> LakebookClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    @property
    def settings(self) -> Settings:
        """lakebook settings (lake location and keys), loaded on first use."""
        if self._settings is None:
            self._settings = get_settings()
        return self._settings

    def me(self) -> Me:
        """Who the token belongs to, and until when it is valid."""
        return parse_answer(Me, self.http.request("GET", ME_PATH))

    def flows(self) -> list[DeploymentOut]:
        """The flows this gateway can launch."""
        return parse_answers(DeploymentOut, self.http.request("GET", DEPLOYMENTS_PATH))

    def run(self, flow: str, /, **parameters: Any) -> Run:
        """Launches a flow run with these parameters; returns at once (see Run.wait)."""
        return self.launch(flow, parameters)

    def launch(
        self, flow: str, parameters: dict[str, Any], *, idempotency_key: str | None = None
    ) -> Run:
        """Launches a run; the same idempotency key returns the same run instead of a second one."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        body = self.http.request(
            "POST", execute_path(flow), json=_execute_body(parameters), headers=headers
        )
        launched = parse_answer(Launched, body)
        logger.info("launched %s run %s", flow, launched.run_id)
        return Run(self, launched.run_id, flow)

    async def arun(self, flow: str, /, **parameters: Any) -> Run:
        """Launches a flow run without blocking the event loop."""
        body = await self.http.arequest("POST", execute_path(flow), json=_execute_body(parameters))
        return Run(self, parse_answer(Launched, body).run_id, flow)

    def get_run(self, run_id: str) -> Run:
        """A run launched earlier; unknown (or someone else's) ids raise LakebookNotFound."""
        return Run(self, run_id, self.run_info(run_id).flow_name)

    def runs(self, flow: str | None = None, *, limit: int = 50, offset: int = 0) -> list[Run]:
        """The caller's runs (admins: everyone's), newest first."""
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if flow is not None:
            params["flow"] = flow
        listed = parse_answers(RunOut, self.http.request("GET", RUNS_PATH, params=params))
        return [Run(self, info.run_id, info.flow_name) for info in listed]

    def reports(
        self, *, limit: int = 20, offset: int = 0, schedule: str | None = None
    ) -> list[ReportOut]:
        """The reports of the caller's notebook runs (admins: everyone's), newest run first, or
        only those of the `schedule` of that name; `limit` counts notebook runs, so runs without
        a report yet make a page shorter."""
        params: dict[str, str | int] = {"limit": limit, "offset": offset}
        if schedule is not None:
            params["schedule"] = schedule
        return parse_answers(ReportOut, self.http.request("GET", REPORTS_PATH, params=params))

    def run_info(self, run_id: str) -> RunOut:
        return read_run_info(self.http, run_id)

    def datasets(self) -> list[DatasetOut]:
        """The lake's published datasets with their latest runs, by name."""
        return parse_answers(DatasetOut, self.http.request("GET", DATASETS_PATH))

    def dataset(self, name: str) -> DatasetDetail:
        """A dataset's schema, size, lineage and runs; unknown names raise LakebookNotFound."""
        return parse_answer(DatasetDetail, self.http.request("GET", dataset_path(name)))

    def grants(self, dataset: str) -> DatasetGrantsOut:
        """Whom a dataset of yours is shared with (its owner and admins only)."""
        return parse_answer(DatasetGrantsOut, self.http.request("GET", dataset_grant_path(dataset)))

    def share(
        self, dataset: str, *, with_: str = EVERYONE, access: GrantAccess = "read"
    ) -> DatasetGrantsOut:
        """Shares a dataset you own with a user (`with_="bob"`) or every user (`"*"`, the
        default): `access="read"`, or `"write"` to let them publish runs under its name."""
        body = self.http.request("PUT", dataset_grant_path(dataset, with_), json={"access": access})
        return parse_answer(DatasetGrantsOut, body)

    def unshare(self, dataset: str, *, with_: str = EVERYONE) -> DatasetGrantsOut:
        """Stops sharing a dataset you own with that user (or, `"*"`, with every user)."""
        body = self.http.request("DELETE", dataset_grant_path(dataset, with_))
        return parse_answer(DatasetGrantsOut, body)

    def upload(self, source: str | Path | Any, /) -> UploadOut:
        """Uploads a CSV, JSON lines or Parquet file, or a Polars/pandas frame (sent as
        Parquet), to raw/uploads/{you}/; too big (413) or not what it claims (415) raise."""
        filename, content = upload_body(source)
        with content:
            body = self.http.request(
                "POST", UPLOADS_PATH, files={"file": (filename, content)}, timeout=UPLOAD_TIMEOUT
            )
        uploaded = parse_answer(UploadOut, body)
        logger.info("uploaded %s to %s", filename, uploaded.key)
        return uploaded

    def lake(self) -> LakePublisher:
        """The lake read directly with this kernel's own settings and keys (the gateway's
        /result and /lake routes need none; this is for lakes without a gateway)."""
        from lakebook.lake.publisher import LakePublisher
        from lakebook.lake.store import LakeStore  # s3fs and friends load only when used

        return LakePublisher(LakeStore.from_settings(self.settings))

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """One gateway call to `{url}/api/v1{path}`; the decoded JSON body, or the LakebookError
        for the answer."""
        return self.http.request(method, path, **kwargs)


def _execute_body(parameters: dict[str, Any]) -> dict[str, Any]:
    return ExecuteRequest(parameters=parameters).model_dump()


def connect(
    url: str | None = None, token: str | None = None, *, settings: Settings | None = None
) -> LakebookClient:
    """A client for the gateway: the token comes from LAKEBOOK_TOKEN or `lakebook up`'s file.

    The URL is `url`, else LAKEBOOK_GATEWAY_URL, else the credential file's, else the embedded
    gateway's.
    """
    settings = settings or get_settings()
    explicit_url = url or settings.gateway.url
    if token is None:
        credentials = find_credentials(settings.data_dir, multi_user=settings.stack.multi_user)
        token = credentials.token
        # The credential file names the gateway that issued its token.
        explicit_url = explicit_url or credentials.gateway_url
    return LakebookClient(explicit_url or settings.gateway.base_url, token, settings=settings)
