"""The gateway's HTTP API on the wire: the request and answer bodies of `/api/v1`, defined once.

The gateway declares them as its `response_model`s (so they are its OpenAPI schema) and the
kernel parses answers into them, so the two sides cannot drift apart. The class names are the
schema names clients are generated from (`...Out` is what the gateway sends out): renaming one
changes the published API. Pure pydantic: the kernel imports this without the gateway extra.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from lakebook.common.rejects import (
    RejectedRowLike,
    RejectedRowOut,
    rejected_rows_out,
    rejects_note,
)

Role = Literal["viewer", "analyst", "admin"]
# Prefect state types after which a run never changes again.
TERMINAL_STATES = frozenset({"COMPLETED", "FAILED", "CRASHED", "CANCELLED"})


class WireModel(BaseModel):
    """An API body: immutable once built or read; fields a newer gateway adds are ignored."""

    model_config = ConfigDict(frozen=True)


class RequestModel(WireModel):
    """A body the gateway reads: a field it does not know is refused (422 naming it), so a typo
    (`{"parameter": …}`, `"timezon"`) is not dropped silently, launching or scheduling with
    defaults the person never chose."""

    model_config = ConfigDict(frozen=True, extra="forbid")


# Auth ----------------------------------------------------------------------------------------


class TokenPair(WireModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")


class RefreshRequest(RequestModel):
    refresh_token: str = Field(min_length=1, max_length=512)


class Me(WireModel):
    """Who a token belongs to, and until when it is valid."""

    name: str
    role: Role
    token_expires_at: datetime


# Flows and runs ------------------------------------------------------------------------------


class DeploymentOut(WireModel):
    """A flow that can be launched, with the JSON schema of its parameters."""

    name: str = Field(description="The flow's name, as used in /flows/{name}/execute.")
    description: str | None
    tags: list[str]
    schedules: list[str]
    parameters_schema: dict[str, Any]


class ExecuteRequest(RequestModel):
    parameters: dict[str, Any] = Field(default_factory=dict)


class Launched(WireModel):
    run_id: str
    state: str


class RunOut(WireModel):
    """A run as the gateway reports it at one moment."""

    run_id: str
    flow_name: str
    owner: str
    state: str
    state_name: str
    parameters: dict[str, Any]
    created_at: datetime
    start_time: datetime | None
    end_time: datetime | None

    @property
    def finished(self) -> bool:
        return self.state in TERMINAL_STATES


class LogOut(WireModel):
    """One line a run logged."""

    timestamp: datetime
    level: str
    logger: str
    message: str


class ResultOut(WireModel):
    """A run's published dataset: where it is, its schema and size, and a download URL."""

    run_id: str
    dataset: str
    data_uri: str
    columns: dict[str, str]
    row_count: int
    bytes: int
    preview: list[dict[str, Any]]
    download_url: str | None = Field(description="Presigned GET URL of the Parquet file.")
    download_expires_at: datetime | None
    rows_rejected: int = Field(0, description="Input rows the run left out (malformed rows).")
    reject_sample: list[RejectedRowOut] = Field(
        default_factory=list, description="The first few rejected rows."
    )

    @property
    def rejects_note(self) -> str | None:
        """`3 rows rejected, e.g. line 7: 3 of 8 fields`; None when nothing was rejected."""
        return rejects_note(self.rows_rejected, self.reject_sample)


class FailedCellOut(WireModel):
    """Where a notebook run stopped: the cell's index in the notebook as written (0-based)."""

    index: int
    execution_count: int | None
    ename: str
    evalue: str


class ReportOut(WireModel):
    """A `run_notebook` run's published report: how it went, and short-lived download URLs of
    the executed notebook and its HTML rendering (None for a local-folder lake)."""

    run_id: str
    report_name: str
    notebook: str = Field(description="The notebook that was run, as the run was given it.")
    status: str = Field(
        description="completed, or failed (a cell raised, timed out or killed its kernel)."
    )
    user: str | None
    schedule: str | None = Field(
        default=None, description="The owner's notebook schedule that made the run, if one did."
    )
    parameters: dict[str, Any]
    failed_cell: FailedCellOut | None
    started_at: datetime
    finished_at: datetime
    duration_seconds: float
    published_at: datetime
    notebook_uri: str
    html_uri: str
    notebook_url: str | None
    html_url: str | None
    download_expires_at: datetime | None


class Cancelled(WireModel):
    run_id: str
    state: str


class StateOut(WireModel):
    """One state a run went through; also the data of its `state` server-sent event."""

    state: str = Field(description="The state type, e.g. RUNNING, FAILED.")
    name: str = Field(description="The state's name, e.g. Running, Crashed.")
    timestamp: datetime
    message: str | None = Field(description="Why the run entered it (a failure's cause).")


class RunEventEnd(WireModel):
    """The data of a run's `end` server-sent event: the run is over."""

    state: str | None


class RunEventError(WireModel):
    """The data of a run's `error` server-sent event: watching it failed for a while."""

    message: str


# Notebook schedules --------------------------------------------------------------------------


class ScheduleCreate(RequestModel):
    notebook: str = Field(
        min_length=1,
        max_length=1024,
        description="As run_notebook takes it: a path relative to the workspace folder, or a lake "
        "key (raw/notebooks/x.ipynb) or URI under the lake root.",
    )
    cron: str = Field(min_length=1, max_length=128, examples=["0 6 * * *"])
    timezone: str = Field("UTC", max_length=64, examples=["Europe/Paris"])
    parameters: dict[str, Any] = Field(default_factory=dict)
    name: str | None = Field(None, description="Unique among yours; default: the notebook's name.")
    report_name: str | None = Field(None, max_length=128)
    timeout_seconds: int | None = Field(None, ge=1, le=7 * 24 * 3600)


class ScheduleChange(RequestModel):
    active: bool


class ScheduleOut(WireModel):
    id: str = Field(description="`owner:name`; your own schedules also answer to `name`.")
    name: str
    owner: str
    notebook: str
    cron: str
    timezone: str
    parameters: dict[str, Any]
    active: bool
    next_run_at: datetime | None


class NotebookParameterOut(WireModel):
    """One assignment of a notebook's `parameters` cell (the lab server reads it)."""

    name: str
    type: str | None = Field(description="str, int, float, bool, list or dict; null: any value.")
    default: str = Field(description="The default as written in the cell (Python source).")
    optional: bool = Field(description="Whether null is accepted as well.")
    help: str = Field(description="The line's trailing comment.")


class NotebookParametersOut(WireModel):
    """A notebook's parameters; `notebook` is what a schedule's `notebook` field takes."""

    notebook: str
    parameters: list[NotebookParameterOut]


# Lake ----------------------------------------------------------------------------------------


class UploadOut(WireModel):
    """Where an upload landed: `key` is what ingest_upload takes."""

    upload_id: str
    key: str
    format: str
    bytes: int


class PublishedRunLike(Protocol):
    """What the lake publisher reports of a published run (lakebook.lake.publisher)."""

    @property
    def run_id(self) -> str: ...

    @property
    def published_at(self) -> datetime: ...


class DatasetSummaryLike(Protocol):
    """What the lake publisher reports of a dataset (lakebook.lake.publisher)."""

    @property
    def name(self) -> str: ...

    @property
    def latest(self) -> PublishedRunLike: ...

    @property
    def run_count(self) -> int: ...


class RunMetadataLike(Protocol):
    """What a published run's metadata.json records of it (lakebook.lake.metadata.RunMetadata)."""

    @property
    def columns(self) -> Mapping[str, str]: ...

    @property
    def row_count(self) -> int: ...

    @property
    def bytes(self) -> int: ...

    @property
    def flow_name(self) -> str | None: ...

    @property
    def user(self) -> str | None: ...

    @property
    def inputs(self) -> Sequence[str]: ...

    @property
    def rows_rejected(self) -> int | None: ...

    @property
    def reject_sample(self) -> Sequence[RejectedRowLike]: ...


class DatasetOut(WireModel):
    """A dataset with at least one published run, and its latest run."""

    name: str
    latest_run_id: str
    published_at: datetime
    run_count: int
    owner: str | None = Field(default=None, description="Who owns the name (None: nobody).")

    @classmethod
    def from_summary(cls, summary: DatasetSummaryLike, owner: str | None = None) -> DatasetOut:
        return cls(
            name=summary.name,
            latest_run_id=summary.latest.run_id,
            published_at=summary.latest.published_at,
            run_count=summary.run_count,
            owner=owner,
        )


class RunSummary(WireModel):
    run_id: str
    published_at: datetime

    # The kernel has always handed these out as (run_id, published_at) pairs, and notebooks
    # unpack them so: a summary still unpacks and indexes like that pair. (pydantic's own
    # __iter__ yields (field, value) items; nothing in pydantic or FastAPI serialises through it.)
    def __iter__(self) -> Iterator[Any]:  # type: ignore[override]
        return iter((self.run_id, self.published_at))

    def __getitem__(self, index: int) -> Any:
        return (self.run_id, self.published_at)[index]


class DatasetDetail(WireModel):
    """A dataset's latest run in detail: schema, size, lineage, and every published run."""

    name: str
    columns: dict[str, str]
    row_count: int
    bytes: int
    flow_name: str | None
    user: str | None
    inputs: list[str]
    latest_run_id: str
    runs: list[RunSummary]
    rows_rejected: int = Field(0, description="Input rows the latest run left out.")
    reject_sample: list[RejectedRowOut] = Field(
        default_factory=list, description="The first few rows the latest run rejected."
    )
    owner: str | None = Field(default=None, description="Who owns the name (None: nobody).")

    @classmethod
    def from_metadata(
        cls, name: str, runs: Sequence[PublishedRunLike], metadata: RunMetadataLike
    ) -> DatasetDetail:
        """From the runs newest first and the newest one's metadata.json."""
        return cls(
            name=name,
            columns=dict(metadata.columns),
            row_count=metadata.row_count,
            bytes=metadata.bytes,
            flow_name=metadata.flow_name,
            user=metadata.user,
            inputs=list(metadata.inputs),
            latest_run_id=runs[0].run_id,
            runs=[RunSummary(run_id=run.run_id, published_at=run.published_at) for run in runs],
            rows_rejected=metadata.rows_rejected or 0,
            reject_sample=rejected_rows_out(metadata.reject_sample),
        )
