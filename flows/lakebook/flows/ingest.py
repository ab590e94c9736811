"""The ingest_upload flow: a raw upload becomes a cleaned, typed dataset in the lake."""

from __future__ import annotations

from typing import Annotated

import polars as pl
from prefect import flow
from prefect.artifacts import create_markdown_artifact
from pydantic import BaseModel, Field

from lakebook.common.lake import DatasetName, check_dataset_name
from lakebook.common.rejects import reject_place
from lakebook.flows.csv_fields import ShortRecords, short_csv_records
from lakebook.flows.lake_tasks import (
    NO_PREFECT_RESULT,
    current_run_id,
    in_flow_run,
    lake_publisher,
    lake_task,
    publish_dataset,
)
from lakebook.flows.upload_cleaning import ColumnType, RejectedRow, StagedUpload, stage_upload
from lakebook.flows.upload_formats import (
    Upload,
    UploadError,
    check_upload_format,
    parse_upload_key,
    scan_upload,
)
from lakebook.lake.metadata import RejectedRowRecord

FLOW_NAME = "ingest_upload"
TAGS = {"lake"}


class TooManyRejectsError(UploadError):
    """More rows failed their column types than the run allows; nothing was published."""


class IngestReport(BaseModel):
    """What an ingest run published and which rows it left out."""

    dataset: str
    run_id: str
    upload_key: str
    data_uri: str
    column_types: dict[str, str]
    rows_read: int
    empty_rows_dropped: int
    rows_rejected: int
    rows_published: int
    reject_fraction: float
    reject_sample: list[RejectedRow]


@lake_task("check-upload", tags=TAGS)
def check_upload(upload_key: str) -> Upload:
    """The upload behind the key, once its bytes are known to match its extension."""
    store = lake_publisher().store
    upload = parse_upload_key(store, upload_key)
    check_upload_format(store, upload)
    return upload


@lake_task("read-upload", tags=TAGS)
def read_upload(upload: Upload, column_types: dict[str, ColumnType]) -> StagedUpload:
    """Reads the whole upload once to type it and count its empty and rejected rows."""
    store = lake_publisher().store

    def count_short_records(header_fields: int) -> ShortRecords:
        return short_csv_records(store, upload.key, header_fields)

    csv_only = count_short_records if upload.extension == "csv" else None
    try:
        return stage_upload(scan_upload(store, upload), column_types, csv_only)
    except pl.exceptions.PolarsError as error:
        detail = str(error).strip().splitlines()[0][:300]
        raise UploadError(f"cannot read {upload.key}: {detail}") from error


@flow(
    name=FLOW_NAME,
    description="Cleans and types a raw upload (CSV, JSON lines, Parquet) and publishes it.",
    **NO_PREFECT_RESULT,
)
def ingest_upload(
    upload_key: str,
    dataset: DatasetName,
    column_types: dict[str, ColumnType] | None = None,
    max_reject_fraction: Annotated[float, Field(ge=0.0, le=1.0)] = 0.01,
) -> IngestReport:
    """Publishes an upload as a dataset; rows whose values do not fit their types are reported.

    Outside a flow run (`ingest_upload.fn(...)`) the run id is a fresh uuid and no artifact is
    made. The argument descriptions below become the parameter form's help texts.

    Args:
        upload_key: The upload: raw/uploads/{user}/{upload_id}/data.{csv,json,parquet}.
        dataset: Name to publish under: lower-case letters, digits and '_'.
        column_types: Type per column (original or snake_case name); other text columns get
            the type that reads at least 90% of their first 10,000 values, else String.
        max_reject_fraction: Share of non-empty rows that may be rejected (left out and
            reported); above it the run fails and publishes nothing.
    """
    check_dataset_name(dataset)
    upload = check_upload(upload_key)
    staged = read_upload(upload, column_types or {})
    if staged.rows_read == staged.empty_rows:
        raise UploadError(f"{upload.key} has no data rows")
    run_id = current_run_id()
    records = [_reject_record(upload, rejected) for rejected in staged.reject_sample]
    if staged.rejected_rows and in_flow_run():
        _report_rejects(dataset, upload, staged, records)
    if staged.reject_fraction > max_reject_fraction:
        raise TooManyRejectsError(
            f"{staged.rejected_rows} of {staged.rows_read - staged.empty_rows} rows of "
            f"{upload.key} do not fit their column types or the header "
            f"({staged.reject_fraction:.1%}, more than "
            f"max_reject_fraction={max_reject_fraction:.1%}); first bad rows: "
            + "; ".join(f"{reject_place(record)}: {record.reason}" for record in records[:3])
        )
    metadata = publish_dataset(
        staged.frame,
        dataset=dataset,
        run_id=run_id,
        flow_name=FLOW_NAME,
        user=upload.user,
        parameters={
            "upload_key": upload.key,
            "column_types": column_types,
            "max_reject_fraction": max_reject_fraction,
        },
        inputs=[upload.key],
        column_bytes=staged.text_bytes,
        rows_rejected=staged.rejected_rows,
        reject_sample=records,
    )
    return IngestReport(
        dataset=dataset,
        run_id=run_id,
        upload_key=upload.key,
        data_uri=metadata.data_uri,
        column_types=staged.column_types,
        rows_read=staged.rows_read,
        empty_rows_dropped=staged.empty_rows,
        rows_rejected=staged.rejected_rows,
        rows_published=metadata.row_count,
        reject_fraction=staged.reject_fraction,
        reject_sample=staged.reject_sample,
    )


def _reject_record(upload: Upload, rejected: RejectedRow) -> RejectedRowRecord:
    """A rejected row as metadata.json keeps it. A CSV row's line counts the header as line 1
    and one line per row, blank ones included (a quoted value spanning lines is not counted).
    Other uploads name the row only: Polars skips a JSON lines file's blank lines unnumbered."""
    line = rejected.row + 1 if upload.extension == "csv" else None
    return RejectedRowRecord.bounded(rejected.row, line, rejected.reason())


def _report_rejects(
    dataset: str, upload: Upload, staged: StagedUpload, records: list[RejectedRowRecord]
) -> None:
    """A markdown artifact on the run: how many rows were rejected and a sample of them."""
    lines = [
        f"**{staged.rejected_rows}** of {staged.rows_read - staged.empty_rows} rows of "
        f"`{upload.key}` were rejected ({staged.reject_fraction:.2%}).",
        "",
        "| where | column | value | expected type |",
        "|---|---|---|---|",
    ]
    for rejected, record in zip(staged.reject_sample, records, strict=True):
        where = reject_place(record)
        for column, value in rejected.values.items():
            cell = value.replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {where} | {column} | {cell} | {staged.column_types[column]} |")
        if rejected.extra_fields:
            lines.append(f"| {where} | (the line) | more fields than the header | — |")
        if rejected.fields is not None:
            lines.append(
                f"| {where} | (the line) | {rejected.fields} of "
                f"{rejected.header_fields} fields | — |"
            )
    create_markdown_artifact(
        markdown="\n".join(lines),
        key=f"rejected-rows-{dataset.replace('_', '-')}",
        description=f"Rows of {upload.key} left out of {dataset}",
    )
