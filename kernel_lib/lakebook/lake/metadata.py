"""The lake's contract: metadata.json of a published run and of a notebook report, written and
read through these models only, so writers and readers cannot disagree on a key."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Final, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
)

from lakebook.lake.row_widths import parse_text_widths
from lakebook.lake.store import LakeError

# The shape these models write. Files written before the field existed have this same shape,
# so they read as version 1; a reader of an older version ignores the fields it does not know.
METADATA_VERSION: Final = 1
# How much of a wrong value a LakeMetadataError quotes.
QUOTED_VALUE_CHARACTERS: Final = 80
# A run's metadata.json keeps this many of its rejected rows, each reason cut to this length:
# the file stays small however bad the upload (the run's Prefect artifact shows more).
REJECT_SAMPLE_ROWS: Final = 5
REJECT_REASON_CHARACTERS: Final = 200

# Written as `datetime.isoformat()` ("+00:00", as lakebook always wrote them; pydantic's own
# JSON would write "Z").
IsoDatetime = Annotated[datetime, PlainSerializer(datetime.isoformat, return_type=str)]
# Widths only size row groups: odd ones read as none recorded rather than failing a read.
TextWidths = Annotated[dict[str, float], BeforeValidator(parse_text_widths)]


class LakeMetadataError(LakeError):
    """A metadata.json that is not JSON, or lacks or mistypes a field lakebook writes."""


class LakeDocument(BaseModel):
    """A JSON document lakebook keeps in the lake: immutable; fields a newer lakebook writes are
    ignored, so an older reader still reads its files."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    schema_version: int = METADATA_VERSION

    @classmethod
    def from_json(cls, raw: str | bytes, *, source: str) -> Self:
        """The document read from `source` (the file's URI); LakeMetadataError naming the file
        and the field that is wrong where it is not one lakebook wrote."""
        try:
            return cls.model_validate_json(raw)
        except ValidationError as error:
            raise LakeMetadataError(
                f"{source} is not lakebook's metadata.json: {describe_problem(error)}"
            ) from None

    def document(self) -> dict[str, Any]:
        """The document as JSON values, under the names the file uses."""
        return self.model_dump(mode="json", by_alias=True)

    def to_json(self) -> bytes:
        """The file's bytes: indented, the top-level keys sorted (diffable). Nested maps keep
        their order: `schema` is in the dataset's column order, which readers show."""
        return json.dumps(dict(sorted(self.document().items())), indent=2).encode()


def describe_problem(error: ValidationError) -> str:
    """The first problem pydantic found, in one line: which field, what is wrong, the value."""
    problem = error.errors(include_url=False)[0]
    field = ".".join(str(part) for part in problem["loc"])
    if problem["type"] == "json_invalid":
        return f"not JSON ({problem['msg']})"
    if problem["type"] == "missing":
        return f"{field!r} is missing"
    value = repr(problem.get("input"))
    if len(value) > QUOTED_VALUE_CHARACTERS:
        value = value[:QUOTED_VALUE_CHARACTERS] + "…"
    where = f"{field!r}: " if field else ""
    message = problem["msg"]
    return f"{where}{message[:1].lower()}{message[1:]}, got {value}"


class RejectedRowRecord(BaseModel):
    """One row a run left out of its dataset: where it was in its input, and why."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    row: int
    """1-based position among the input's data rows."""
    line: int | None = None
    """The line in the input file (a CSV's header is line 1); None where rows are not lines."""
    reason: str

    @classmethod
    def bounded(cls, row: int, line: int | None, reason: str) -> Self:
        """The record with its reason cut to REJECT_REASON_CHARACTERS."""
        if len(reason) > REJECT_REASON_CHARACTERS:
            reason = reason[: REJECT_REASON_CHARACTERS - 1] + "…"
        return cls(row=row, line=line, reason=reason)


class RunMetadata(LakeDocument):
    """metadata.json of a published dataset run (`processed/flows/{dataset}/{run_id}/`)."""

    dataset: str
    run_id: str
    flow_name: str
    flow_version: str | None = None
    user: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    inputs: list[str] = Field(default_factory=list)
    data_uri: str
    format: str
    compression: str
    # "schema" in the file; the name would shadow BaseModel.schema().
    columns: dict[str, str] = Field(alias="schema")
    row_count: int
    bytes: int
    # Added after the first runs: theirs read as none recorded.
    text_bytes: TextWidths = Field(default_factory=dict)
    # Input rows the flow left out (ingest_upload's malformed rows) and the first few of them.
    # None: the flow counts none (a transform), or the run is older than the field. Left out of
    # the file when None or empty, so such runs' files stay as they were.
    rows_rejected: int | None = Field(None, exclude_if=lambda count: count is None)
    reject_sample: list[RejectedRowRecord] = Field(
        default_factory=list, exclude_if=lambda sample: not sample
    )
    started_at: IsoDatetime
    published_at: IsoDatetime


class RecordedTextWidths(LakeDocument):
    """The one field of a run's metadata.json a transform's planning needs."""

    text_bytes: TextWidths = Field(default_factory=dict)


def recorded_text_widths(raw: str | bytes) -> dict[str, float]:
    """A run's `text_bytes` from its metadata.json; a file that is not lakebook's reads as none
    recorded (widths only size row groups: no read fails over them)."""
    try:
        return RecordedTextWidths.model_validate_json(raw).text_bytes
    except ValidationError:
        return {}


class FailedCellRecord(BaseModel):
    """Where a notebook run stopped: the cell's index in the notebook as written, and what it
    raised."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    index: int
    execution_count: int | None
    ename: str
    evalue: str


class ReportDraft(LakeDocument):
    """What a notebook run records in its report's metadata.json, before it is published."""

    report_id: str
    report_name: str
    flow_name: str
    run_id: str
    notebook: str
    notebook_source: str
    parameters: dict[str, Any] = Field(default_factory=dict)
    user: str | None = None
    schedule: str | None = None
    status: str
    failed_cell: FailedCellRecord | None = None
    started_at: IsoDatetime
    finished_at: IsoDatetime
    duration_seconds: float
    timeout_seconds: int
    kernel_name: str
    language: str | None = None
    language_version: str | None = None
    papermill_version: str
    nbconvert_version: str


class ReportMetadata(ReportDraft):
    """metadata.json of a published notebook report (`results/reports/{report_id}/`)."""

    published_at: IsoDatetime

    @classmethod
    def published(cls, draft: ReportDraft, *, report_id: str, published_at: datetime) -> Self:
        """The draft as published under `report_id` at `published_at`."""
        return cls.model_validate(
            {**draft.model_dump(), "report_id": report_id, "published_at": published_at}
        )
