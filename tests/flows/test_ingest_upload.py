"""ingest_upload as a real Prefect flow run, against a local lake and real SeaweedFS."""

from __future__ import annotations

import io
import json
import uuid
from datetime import date

import polars as pl
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal
from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

from lakebook.flows.ingest import TooManyRejectsError, ingest_upload
from lakebook.flows.upload_formats import UploadError
from lakebook.lake import row_widths
from lakebook.lake.publisher import LakePublisher
from lakebook.lake.store import LakeNotFoundError

UPLOAD_KEY = "raw/uploads/ana/u1/data.{}"


@pytest.fixture
def lake(flow_lake: LakePublisher) -> LakePublisher:
    return flow_lake


def sales_csv(rows: int, bad_amounts: dict[int, str]) -> bytes:
    """Messy headers, one fully empty row after the first, and some unreadable amounts."""
    lines = ["Order ID, Amount ,Sale Day,regionName"]
    for row in range(1, rows + 1):
        amount = bad_amounts.get(row, f" {row * 1.5} ")
        lines.append(f"{row},{amount},2026-01-{1 + row % 28:02d},r{row % 3}")
        if row == 1:
            lines.append(",,,")
    return ("\n".join(lines) + "\n").encode()


def test_csv_with_a_few_bad_rows_is_published_and_the_rejects_reported(
    lake: LakePublisher,
) -> None:
    lake.store.write_bytes(UPLOAD_KEY.format("csv"), sales_csv(100, {7: "oops", 42: '"1,5"'}))

    report = ingest_upload(
        upload_key=UPLOAD_KEY.format("csv"), dataset="sales", max_reject_fraction=0.05
    )

    assert (report.rows_read, report.empty_rows_dropped) == (101, 1)
    assert (report.rows_rejected, report.rows_published) == (2, 98)
    assert report.reject_fraction == pytest.approx(0.02)
    # Row numbers count data rows as they appear in the file, the empty row included.
    assert [(r.row, r.values) for r in report.reject_sample] == [
        (8, {"amount": "oops"}),
        (43, {"amount": "1,5"}),
    ]
    assert report.column_types == {
        "order_id": "Int64",
        "amount": "Float64",
        "sale_day": "Date",
        "region_name": "String",
    }
    uuid.UUID(report.run_id)  # the Prefect flow run's id
    published = lake.scan("sales").collect()
    good = [row for row in range(1, 101) if row not in {7, 42}]
    expected = pl.DataFrame(
        {
            "order_id": good,
            "amount": [row * 1.5 for row in good],
            "sale_day": [date(2026, 1, 1 + row % 28) for row in good],
            "region_name": [f"r{row % 3}" for row in good],
        }
    )
    assert_frame_equal(published, expected)
    metadata = lake.read_metadata("sales", report.run_id)
    assert (metadata.flow_name, metadata.user) == ("ingest_upload", "ana")
    assert metadata.inputs == [UPLOAD_KEY.format("csv")]
    assert metadata.parameters["max_reject_fraction"] == 0.05

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["rejected-rows-sales"]))
        )
    mine = [a for a in artifacts if str(a.flow_run_id) == report.run_id]
    assert len(mine) == 1
    assert "| line 9 | amount | oops | Float64 |" in str(mine[0].data)


def test_a_ragged_csv_line_is_a_rejected_row_not_a_failed_file(lake: LakePublisher) -> None:
    """A line with more fields than the header (an unquoted comma) or fewer (a truncated line)
    is left out and reported; a line whose last values are empty (`12,c12,`) is kept, its empty
    value null, as before. (Until issue 23 a short line was kept with nulls: replaced on
    purpose.)"""
    rows = ["id,city,amount"] + [f"{i},c{i},{i}.5" for i in range(1, 40)]
    rows[5] = "5,Paris, France,5.5"
    rows[9] = "9,c9"
    rows[12] = "12,c12,"
    lake.store.write_bytes(UPLOAD_KEY.format("csv"), ("\n".join(rows) + "\n").encode())

    report = ingest_upload(
        upload_key=UPLOAD_KEY.format("csv"), dataset="cities", max_reject_fraction=0.1
    )

    assert (report.rows_read, report.rows_rejected, report.rows_published) == (39, 2, 37)
    # The shifted line fails its types as well: both are said.
    assert [r.describe() for r in report.reject_sample] == [
        "row 5: amount=' France', more fields than the header",
        "row 9: 2 of 3 fields",
    ]
    published = lake.scan("cities").collect()
    assert {5, 9}.isdisjoint(published["id"].to_list())
    assert published.filter(pl.col("id") == 12).row(0) == (12, "c12", None)
    assert published.columns == ["id", "city", "amount"]

    metadata = lake.read_metadata("cities", report.run_id)
    assert metadata.rows_rejected == 2
    assert [(r.row, r.line, r.reason) for r in metadata.reject_sample] == [
        (5, 6, "amount=' France', more fields than the header"),
        (9, 10, "2 of 3 fields"),
    ]

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["rejected-rows-cities"]))
        )
    mine = [a for a in artifacts if str(a.flow_run_id) == report.run_id]
    assert "| line 6 | (the line) | more fields than the header | — |" in str(mine[0].data)
    assert "| line 10 | (the line) | 2 of 3 fields | — |" in str(mine[0].data)


def test_metadata_keeps_a_bounded_sample_of_the_rejected_rows(lake: LakePublisher) -> None:
    """Five rows at most, each reason cut short, however many and however long the bad rows;
    quoted line ends and separators do not make a line short."""
    wide = "x" * 5000
    rows = ["id,note,amount", '1,"two\nlines, one value",1.5']
    rows += [f"{i},{wide},bad{i}" if i % 10 == 0 else f"{i},n{i},{i}.5" for i in range(2, 200)]
    lake.store.write_bytes(UPLOAD_KEY.format("csv"), ("\n".join(rows) + "\n").encode())

    report = ingest_upload(
        upload_key=UPLOAD_KEY.format("csv"), dataset="notes", max_reject_fraction=0.2
    )

    metadata = lake.read_metadata("notes", report.run_id)
    assert metadata.rows_rejected == report.rows_rejected == 19
    assert [r.row for r in metadata.reject_sample] == [10, 20, 30, 40, 50]
    assert all(len(r.reason) <= 200 for r in metadata.reject_sample)
    assert metadata.reject_sample[0].reason.startswith("amount='bad10'")
    assert lake.scan("notes").collect()["note"][0] == "two\nlines, one value"


def test_a_valid_csv_records_no_rejects(lake: LakePublisher) -> None:
    lake.store.write_bytes(UPLOAD_KEY.format("csv"), b"a,b\n1,\n2,x\n")
    report = ingest_upload(upload_key=UPLOAD_KEY.format("csv"), dataset="clean")
    metadata = lake.read_metadata("clean", report.run_id)
    assert (metadata.rows_rejected, metadata.reject_sample) == (0, [])
    assert lake.scan("clean").collect().rows() == [(1, None), (2, "x")]


def test_too_many_bad_rows_fail_the_run_and_publish_nothing(lake: LakePublisher) -> None:
    lake.store.write_bytes(UPLOAD_KEY.format("csv"), sales_csv(20, {3: "x", 9: "y"}))
    with pytest.raises(TooManyRejectsError, match=r"2 of 20 rows .* \(10\.0%.*line 5: amount='x'"):
        ingest_upload(upload_key=UPLOAD_KEY.format("csv"), dataset="sales")
    assert lake.list_datasets() == []


def test_parquet_upload_that_is_really_csv_is_refused(lake: LakePublisher) -> None:
    lake.store.write_bytes(UPLOAD_KEY.format("parquet"), sales_csv(5, {}))
    with pytest.raises(UploadError, match=r"is not a Parquet file: it starts with the text 'Order"):
        ingest_upload(upload_key=UPLOAD_KEY.format("parquet"), dataset="sales")
    assert lake.list_datasets() == []


def test_json_array_is_refused_as_not_json_lines(lake: LakePublisher) -> None:
    lake.store.write_bytes(UPLOAD_KEY.format("json"), json.dumps([{"a": 1}, {"a": 2}]).encode())
    with pytest.raises(UploadError, match="is a JSON array, not JSON lines"):
        ingest_upload(upload_key=UPLOAD_KEY.format("json"), dataset="events")
    assert lake.list_datasets() == []


def test_json_lines_upload_is_typed_by_column_types(lake: LakePublisher) -> None:
    records = [{"userId": i, "Score": str(i * 10), "note": "n"} for i in range(5)]
    records[2]["Score"] = "n/a"
    body = "\n".join(json.dumps(record) for record in records) + "\n"
    lake.store.write_bytes(UPLOAD_KEY.format("json"), body.encode())

    report = ingest_upload(
        upload_key=UPLOAD_KEY.format("json"),
        dataset="events",
        column_types={"Score": "Int32"},
        max_reject_fraction=0.5,
    )

    assert (report.rows_rejected, report.reject_sample[0].values) == (1, {"score": "n/a"})
    expected = pl.DataFrame(
        {"user_id": [0, 1, 3, 4], "score": [0, 10, 30, 40], "note": ["n"] * 4},
        schema={"user_id": pl.Int64, "score": pl.Int32, "note": pl.String},
    )
    assert_frame_equal(lake.scan("events").collect(), expected)
    # Rows, not lines: Polars skips a JSON lines file's blank lines without numbering them.
    [rejected] = lake.read_metadata("events", report.run_id).reject_sample
    assert (rejected.row, rejected.line, rejected.reason) == (3, None, "score='n/a'")


def test_parquet_upload_keeps_its_types(lake: LakePublisher) -> None:
    frame = pl.DataFrame({"Day": [date(2026, 1, 1), None], "Total Amount": [1.5, None]})
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    lake.store.write_bytes(UPLOAD_KEY.format("parquet"), buffer.getvalue())

    report = ingest_upload(upload_key=UPLOAD_KEY.format("parquet"), dataset="totals")

    assert (report.rows_read, report.empty_rows_dropped, report.rows_published) == (2, 1, 1)
    expected = pl.DataFrame({"day": [date(2026, 1, 1)], "total_amount": [1.5]})
    assert_frame_equal(lake.scan("totals").collect(), expected)


def test_long_text_is_published_in_row_groups_sized_by_its_measured_width(
    lake: LakePublisher, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Groups of 100 kB instead of 128 MB, so a small file shows where the groups end. A guess
    # from the schema (32 bytes a string, 8 an integer) would put all 600 rows in one group.
    monkeypatch.setattr(row_widths, "ROW_GROUP_BYTES", 100_000)
    monkeypatch.setattr(row_widths, "ROW_GROUP_ROWS_RANGE", (10, 2**20))
    lines = ["id,note"] + [f"{row},{str(row).rjust(976, 'x')}" for row in range(600)]
    lake.store.write_bytes(UPLOAD_KEY.format("csv"), ("\n".join(lines) + "\n").encode())

    ingest_upload(upload_key=UPLOAD_KEY.format("csv"), dataset="notes")

    key = lake.paths.run_data_key("notes", lake.latest_run("notes").run_id)
    footer = pq.ParquetFile(io.BytesIO(lake.store.read_bytes(key))).metadata
    sizes = [footer.row_group(index).num_rows for index in range(footer.num_row_groups)]
    assert sizes == [100] * 6  # 100,000 bytes over 976 of text, its 16-byte view and 8 of id


def test_column_types_naming_a_missing_column_is_a_clear_error(lake: LakePublisher) -> None:
    lake.store.write_bytes(UPLOAD_KEY.format("csv"), sales_csv(3, {}))
    with pytest.raises(UploadError, match="column 'price', which the upload does not have"):
        ingest_upload(
            upload_key=UPLOAD_KEY.format("csv"), dataset="sales", column_types={"price": "Float64"}
        )
    assert lake.list_datasets() == []


def test_missing_upload_is_a_clear_error(lake: LakePublisher) -> None:
    with pytest.raises(LakeNotFoundError, match="raw/uploads/ana/u1/data.csv"):
        ingest_upload(upload_key=UPLOAD_KEY.format("csv"), dataset="sales")
    assert lake.list_datasets() == []


def test_fn_outside_a_flow_run_publishes_under_a_fresh_uuid(lake: LakePublisher) -> None:
    lake.store.write_bytes(UPLOAD_KEY.format("csv"), sales_csv(3, {2: "bad"}))
    report = ingest_upload.fn(
        upload_key=UPLOAD_KEY.format("csv"),
        dataset="sales",
        column_types={"amount": "Float64"},
        max_reject_fraction=0.5,
    )
    assert report.rows_rejected == 1
    assert lake.latest_run("sales").run_id == report.run_id == str(uuid.UUID(report.run_id))
