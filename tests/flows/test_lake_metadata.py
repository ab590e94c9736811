"""The lake's contract: metadata.json of a run and of a report, written and read through
RunMetadata and ReportMetadata, readable across versions, and wrong files named clearly."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
import pytest

from lakebook.lake.metadata import (
    METADATA_VERSION,
    FailedCellRecord,
    LakeMetadataError,
    RejectedRowRecord,
    ReportDraft,
    ReportMetadata,
    RunMetadata,
)
from lakebook.lake.publisher import LakePublisher
from lakebook.lake.reports import ReportPublisher

# What metadata.json of a run held before the models (every key, under these names): existing
# lakes and the flows' returned metadata must keep reading the same.
RUN_KEYS = {
    "dataset",
    "run_id",
    "flow_name",
    "flow_version",
    "user",
    "parameters",
    "inputs",
    "data_uri",
    "format",
    "compression",
    "schema",
    "row_count",
    "bytes",
    "text_bytes",
    "started_at",
    "published_at",
}
REPORT_KEYS = {
    "report_id",
    "report_name",
    "flow_name",
    "run_id",
    "notebook",
    "notebook_source",
    "parameters",
    "user",
    "status",
    "failed_cell",
    "started_at",
    "finished_at",
    "duration_seconds",
    "timeout_seconds",
    "kernel_name",
    "language",
    "language_version",
    "papermill_version",
    "nbconvert_version",
    "published_at",
    "schedule",
}


def published_run(publisher: LakePublisher) -> RunMetadata:
    frame = pl.DataFrame({"region": ["north", "south"], "amount": [1.5, 2.0]})
    return publisher.publish(
        frame,
        dataset="sales",
        run_id="run-1",
        flow_name="ingest",
        user="ana",
        parameters={"since": date(2026, 1, 1)},
        inputs=["raw/uploads/ana/u1/data.csv"],
    )


def run_file(publisher: LakePublisher) -> dict[str, Any]:
    raw = publisher.store.read_bytes(publisher.paths.run_metadata_key("sales", "run-1"))
    document: dict[str, Any] = json.loads(raw)
    return document


def rewrite_run_file(publisher: LakePublisher, document: dict[str, Any] | str) -> None:
    raw = document if isinstance(document, str) else json.dumps(document)
    publisher.store.write_bytes(publisher.paths.run_metadata_key("sales", "run-1"), raw.encode())


def test_a_run_round_trips_through_the_publisher_and_the_model(publisher: LakePublisher) -> None:
    published = published_run(publisher)
    document = run_file(publisher)
    assert set(document) == RUN_KEYS | {"schema_version"}
    assert document["schema_version"] == METADATA_VERSION == 1
    assert document["schema"] == {"region": "String", "amount": "Float64"}
    assert document["parameters"] == {"since": "2026-01-01"}
    # As lakebook always wrote them: isoformat, "+00:00", and the marker's precise time.
    assert document["published_at"] == published.published_at.isoformat()
    assert document["published_at"].endswith("+00:00")
    assert published.document() == document

    read = publisher.read_metadata("sales", "run-1")
    assert read == published
    assert read.columns == {"region": "String", "amount": "Float64"}
    assert (read.row_count, read.user, read.text_bytes) == (2, "ana", {"region": 5.0})
    assert read.published_at.tzinfo is not None
    with pytest.raises(ValueError, match="frozen"):
        read.row_count = 3  # type: ignore[misc]


def test_a_run_written_before_the_version_field_reads_as_version_1(
    publisher: LakePublisher,
) -> None:
    published_run(publisher)
    # As the first releases wrote it: no schema_version, no text_bytes yet.
    old = {key: value for key, value in run_file(publisher).items() if key in RUN_KEYS}
    del old["text_bytes"]
    rewrite_run_file(publisher, old)
    read = publisher.read_metadata("sales", "run-1")
    assert (read.schema_version, read.text_bytes, read.row_count) == (1, {}, 2)
    assert publisher.read_text_widths("sales", "run-1") == {"region": 5.0}  # from the footer


def test_a_newer_writers_run_reads_with_its_unknown_fields_ignored(
    publisher: LakePublisher,
) -> None:
    published_run(publisher)
    newer = {**run_file(publisher), "schema_version": 2, "owner_team": "sales", "lineage": [1]}
    rewrite_run_file(publisher, newer)
    read = publisher.read_metadata("sales", "run-1")
    assert (read.schema_version, read.row_count, read.dataset) == (2, 2, "sales")
    assert "owner_team" not in read.document()


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"row_count": "many"}, "'row_count': input should be a valid integer"),
        ({"schema": ["region"]}, "'schema': input should be an object"),
        ({"schema": None}, "'schema': input should be an object"),
        ({"published_at": "yesterday"}, "'published_at': input should be a valid datetime"),
    ],
)
def test_a_run_with_a_wrong_type_names_the_file_and_the_field(
    publisher: LakePublisher, change: dict[str, Any], problem: str
) -> None:
    published_run(publisher)
    rewrite_run_file(publisher, {**run_file(publisher), **change})
    uri = publisher.paths.uri(publisher.paths.run_metadata_key("sales", "run-1"))
    with pytest.raises(LakeMetadataError) as raised:
        publisher.read_metadata("sales", "run-1")
    message = str(raised.value)
    assert message.startswith(f"{uri} is not lakebook's metadata.json: {problem}")
    assert "pydantic" not in message
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__


def test_a_run_file_that_is_not_lakebooks_is_named_and_its_widths_read_as_none(
    publisher: LakePublisher,
) -> None:
    published_run(publisher)
    written = run_file(publisher)
    uri = publisher.paths.uri(publisher.paths.run_metadata_key("sales", "run-1"))
    # The footer carries the widths: take it away, so metadata.json is what is read.
    data_key = publisher.paths.run_data_key("sales", "run-1")
    publisher.store.write_bytes(data_key, parquet_without_footer_widths())
    expected = {
        "not json": "not JSON",
        "[1, 2]": "input should be an object",
        '{"dataset": "sales"}': "'run_id' is missing",
    }
    for broken, problem in expected.items():
        rewrite_run_file(publisher, broken)
        with pytest.raises(LakeMetadataError, match=f"^{uri} is not lakebook's.*: {problem}"):
            publisher.read_metadata("sales", "run-1")
        assert publisher.read_text_widths("sales", "run-1") == {}
    # Odd widths only: the rest of the file still reads.
    rewrite_run_file(publisher, {**written, "text_bytes": [1]})
    assert publisher.read_metadata("sales", "run-1").text_bytes == {}
    assert publisher.read_text_widths("sales", "run-1") == {}


def parquet_without_footer_widths() -> bytes:
    buffer = io.BytesIO()
    pl.DataFrame({"region": ["north", "south"], "amount": [1.5, 2.0]}).write_parquet(buffer)
    return buffer.getvalue()


def report_draft(**changes: Any) -> ReportDraft:
    fields: dict[str, Any] = {
        "report_id": "draft-id",
        "report_name": "greet",
        "flow_name": "run_notebook",
        "run_id": "rep-1",
        "notebook": "sub/greet.ipynb",
        "notebook_source": "workspace",
        "parameters": {"count": 3},
        "user": "ana",
        "status": "failed",
        "failed_cell": FailedCellRecord(
            index=3, execution_count=4, ename="ZeroDivisionError", evalue="division by zero"
        ),
        "started_at": datetime(2026, 1, 1, 8, 0, tzinfo=UTC),
        "finished_at": datetime(2026, 1, 1, 8, 0, 2, 500000, tzinfo=UTC),
        "duration_seconds": 2.5,
        "timeout_seconds": 600,
        "kernel_name": "python3",
        "language": "python",
        "language_version": "3.11.9",
        "papermill_version": "2.6.0",
        "nbconvert_version": "7.16.4",
    }
    return ReportDraft(**{**fields, **changes})


def report_file(reports: ReportPublisher, report_id: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        reports.store.read_bytes(reports.paths.report_key(report_id, "metadata.json"))
    )
    return document


def rewrite_report_file(reports: ReportPublisher, report_id: str, raw: str) -> None:
    reports.store.write_bytes(reports.paths.report_key(report_id, "metadata.json"), raw.encode())


def test_a_report_round_trips_through_the_publisher_and_the_model(
    publisher: LakePublisher,
) -> None:
    reports = ReportPublisher(publisher.store)
    before = datetime.now(UTC)
    published = reports.publish("rep-1", notebook=b"{}", html=b"<html/>", metadata=report_draft())
    document = report_file(reports, "rep-1")
    assert set(document) == REPORT_KEYS | {"schema_version"}
    assert document["report_id"] == "rep-1"  # the id it is published under, not the draft's
    assert document["failed_cell"] == {
        "index": 3,
        "execution_count": 4,
        "ename": "ZeroDivisionError",
        "evalue": "division by zero",
    }
    assert document["started_at"] == "2026-01-01T08:00:00+00:00"

    read = reports.read_metadata("rep-1")
    assert isinstance(read, ReportMetadata)
    assert read.document() == document
    assert read.published_at == published.published_at >= before
    assert read.failed_cell is not None
    assert read.failed_cell.ename == "ZeroDivisionError"
    assert read.model_dump(exclude={"report_id", "published_at"}) == report_draft().model_dump(
        exclude={"report_id"}
    )


def test_old_newer_and_wrong_report_files(publisher: LakePublisher) -> None:
    reports = ReportPublisher(publisher.store)
    reports.publish("rep-1", notebook=b"{}", html=b"<html/>", metadata=report_draft())
    written = report_file(reports, "rep-1")

    old = {key: value for key, value in written.items() if key in REPORT_KEYS}
    rewrite_report_file(reports, "rep-1", json.dumps(old))
    assert reports.read_metadata("rep-1").schema_version == 1

    newer = {**written, "schema_version": 3, "cells_run": 12, "failed_cell": None}
    rewrite_report_file(reports, "rep-1", json.dumps(newer))
    read = reports.read_metadata("rep-1")
    assert (read.schema_version, read.failed_cell, read.status) == (3, None, "failed")

    uri = reports.paths.uri(reports.paths.report_key("rep-1", "metadata.json"))
    wrong = {**written, "duration_seconds": "long"}
    rewrite_report_file(reports, "rep-1", json.dumps(wrong))
    with pytest.raises(LakeMetadataError, match=f"^{uri} is not lakebook's.*'duration_seconds'"):
        reports.read_metadata("rep-1")
    wrong_cell = {**written, "failed_cell": {"index": "third"}}
    rewrite_report_file(reports, "rep-1", json.dumps(wrong_cell))
    with pytest.raises(LakeMetadataError, match="'failed_cell.index': input should be"):
        reports.read_metadata("rep-1")


def test_rejects_are_kept_bounded_and_left_out_where_none_were_counted(
    publisher: LakePublisher,
) -> None:
    """A run that counted rejects records them, five at most, reasons cut short; a run that
    counts none (every run but ingest_upload's) writes the file as before, and reads as None."""
    sample = [RejectedRowRecord.bounded(row, row + 1, "x" * 500) for row in range(1, 8)]
    frame = pl.DataFrame({"a": [1]})
    published = publisher.publish(
        frame,
        dataset="sales",
        run_id="run-1",
        flow_name="ingest_upload",
        rows_rejected=7,
        reject_sample=sample,
    )
    document = run_file(publisher)
    assert document["rows_rejected"] == 7
    assert [entry["row"] for entry in document["reject_sample"]] == [1, 2, 3, 4, 5]
    assert {len(entry["reason"]) for entry in document["reject_sample"]} == {200}
    assert document["reject_sample"][0]["line"] == 2
    assert publisher.read_metadata("sales", "run-1") == published

    publisher.publish(frame, dataset="sales", run_id="run-1", flow_name="transform_dataset")
    document = run_file(publisher)
    assert {"rows_rejected", "reject_sample"}.isdisjoint(document)
    metadata = publisher.read_metadata("sales", "run-1")
    assert (metadata.rows_rejected, metadata.reject_sample) == (None, [])
