"""Cleaning and typing of uploads, and format checks, without Prefect."""

from __future__ import annotations

import io
from datetime import date, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from lakebook.flows.csv_fields import ShortRecords, short_csv_records
from lakebook.flows.upload_cleaning import (
    StagedUpload,
    clean_column_names,
    snake_case,
    stage_upload,
)
from lakebook.flows.upload_formats import (
    UploadError,
    check_upload_format,
    parse_upload_key,
    scan_upload,
)
from lakebook.lake.publisher import LakePublisher
from lakebook.lake.row_widths import text_widths


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Order ID", "order_id"),
        (" Amount (€) ", "amount"),
        ("totalAmount", "total_amount"),
        ("HTTPStatus", "http_status"),
        ("already_snake", "already_snake"),
        ("__private__", "private"),
    ],
)
def test_snake_case(name: str, expected: str) -> None:
    assert snake_case(name) == expected


def test_clean_names_fill_gaps_and_refuse_collisions() -> None:
    assert clean_column_names(["", "2024 total", "ok"]) == {
        "": "column_1",
        "2024 total": "col_2024_total",
        "ok": "ok",
    }
    with pytest.raises(UploadError, match="'Amount' and 'amount ' both become 'amount'"):
        clean_column_names(["Amount", "amount "])


def text_frame(**columns: list[str | None]) -> pl.LazyFrame:
    return pl.LazyFrame(columns, schema=dict.fromkeys(columns, pl.String))


def test_types_are_inferred_from_text_and_a_few_bad_values_are_rejected() -> None:
    raw = text_frame(
        id=[str(i) for i in range(1, 21)],
        price=["1.5"] * 18 + ["n/a", " 2 "],
        day=["2026-01-02"] * 20,
        at=["2026-01-02 03:04:05"] * 20,
        flag=["true", "FALSE"] * 10,
        code=["A1", "7"] * 10,
    )
    staged = stage_upload(raw, {})
    assert staged.column_types == {
        "id": "Int64",
        "price": "Float64",
        "day": "Date",
        "at": "Datetime",
        "flag": "Boolean",
        "code": "String",
    }
    assert (staged.rows_read, staged.rejected_rows) == (20, 1)
    assert [(r.row, r.values) for r in staged.reject_sample] == [(19, {"price": "n/a"})]
    published = staged.frame.collect()
    assert published["price"].to_list()[-2:] == [1.5, 2.0]
    assert published.row(0) == (1, 1.5, date(2026, 1, 2), datetime(2026, 1, 2, 3, 4, 5), True, "A1")


def test_requested_types_win_and_blank_rows_are_dropped() -> None:
    raw = text_frame(Zip=["01234", "  ", "98765"], qty=["1", None, "x"])
    staged = stage_upload(raw, {"Zip": "String", "qty": "Int32"})
    assert (staged.empty_rows, staged.rejected_rows, staged.reject_fraction) == (1, 1, 0.5)
    expected = pl.DataFrame(
        {"zip": ["01234"], "qty": [1]}, schema={"zip": pl.String, "qty": pl.Int32}
    )
    assert_frame_equal(staged.frame.collect(), expected)


def test_a_column_with_no_values_stays_text() -> None:
    staged = stage_upload(text_frame(a=["1", "2"], b=[None, " "]), {})
    assert staged.column_types == {"a": "Int64", "b": "String"}
    assert staged.empty_rows == 0


def test_text_columns_mean_value_width_is_measured() -> None:
    # "ab", "abcd" and "€€" (6 bytes in UTF-8): 4 bytes a value; numbers are not text.
    staged = stage_upload(text_frame(note=["ab", "abcd", "€€"], qty=["1", "2", "3"]), {})
    assert staged.text_bytes == {"note": 4.0}
    assert stage_upload(text_frame(qty=["1"]), {}).text_bytes == {}


def test_text_widths_are_those_of_the_published_rows_a_null_counting_nothing() -> None:
    """The publisher's definition (`text_widths`): the rejected row's long note and the empty
    row are not published; the null is, and holds no bytes: (2 + 4 + 6 + 0) / 4."""
    raw = text_frame(
        note=["ab", "abcd", "€€", None, "x" * 1000, None],
        qty=["1", "2", "3", "4", "many", None],
    )
    staged = stage_upload(raw, {"qty": "Int64"})
    assert (staged.rejected_rows, staged.empty_rows) == (1, 1)
    assert staged.text_bytes == {"note": 3.0}
    assert text_widths(staged.frame.collect()) == staged.text_bytes


def parquet_bytes() -> bytes:
    buffer = io.BytesIO()
    pl.DataFrame({"a": [1]}).write_parquet(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("extension", "body", "message"),
    [
        ("parquet", b"a,b\n1,2\n", "is not a Parquet file: it starts with the text 'a,b'"),
        ("parquet", b"PAR1 cut short", "is a truncated Parquet file"),
        ("csv", parquet_bytes(), "is not CSV: it is a Parquet file"),
        ("csv", b'{"a": 1}\n', "is not CSV: it looks like JSON"),
        ("csv", b"\xff\xfe\x00a", "is not CSV: it is binary data"),
        ("csv", "caf\xe9\n".encode("latin-1"), "is not UTF-8 text"),
        ("json", b'[{"a": 1}]', "is a JSON array, not JSON lines"),
        ("json", b"a,b\n1,2\n", "is not JSON lines .*: it starts with the text 'a,b'"),
        ("json", b"", "is empty"),
        (
            "json",
            b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n',
            "is a Jupyter notebook, not JSON lines",
        ),
    ],
)
def test_uploads_that_are_not_what_they_claim_are_refused(
    publisher: LakePublisher, extension: str, body: bytes, message: str
) -> None:
    upload = parse_upload_key(publisher.store, f"raw/uploads/ana/u1/data.{extension}")
    publisher.store.write_bytes(upload.key, body)
    with pytest.raises(UploadError, match=message):
        check_upload_format(publisher.store, upload)


def test_valid_uploads_pass_the_check_and_scan(publisher: LakePublisher) -> None:
    bodies = {"csv": b"a\n1\n", "json": b'{"a": 1}\n', "parquet": parquet_bytes()}
    for extension, body in bodies.items():
        upload = parse_upload_key(publisher.store, f"raw/uploads/ana/u1/data.{extension}")
        publisher.store.write_bytes(upload.key, body)
        check_upload_format(publisher.store, upload)
        assert scan_upload(publisher.store, upload).collect()["a"].cast(pl.Int64).to_list() == [1]


@pytest.mark.parametrize(
    "key",
    [
        "processed/flows/sales/r1/output.parquet",
        "raw/uploads/ana/u1/data.xlsx",
        "raw/uploads/../u1/data.csv",
        "raw/uploads/ana/u1/other.csv",
    ],
)
def test_keys_that_are_not_uploads_are_refused(publisher: LakePublisher, key: str) -> None:
    with pytest.raises(UploadError, match="upload"):
        parse_upload_key(publisher.store, key)


def test_a_notebook_upload_is_not_ingested(publisher: LakePublisher) -> None:
    with pytest.raises(UploadError, match="is a notebook upload: run it with run_notebook"):
        parse_upload_key(publisher.store, "raw/uploads/ana/u1/notebook.ipynb")


RAGGED = b'a,b,c\n1,x,2\n3,y\n\n4,"q\nr, s",5\n6,z,\n7\n'


def stage_local_csv(
    publisher: LakePublisher, body: bytes, records: int | None = None
) -> tuple[StagedUpload, list[int]]:
    """The CSV staged as ingest_upload stages it; also the header sizes the reader was asked
    about. `records`, if given, is what the field count pretends the file has."""
    upload = parse_upload_key(publisher.store, "raw/uploads/ana/u1/data.csv")
    publisher.store.write_bytes(upload.key, body)
    asked: list[int] = []

    def count(header_fields: int) -> ShortRecords:
        asked.append(header_fields)
        found = short_csv_records(publisher.store, upload.key, header_fields)
        return found if records is None else ShortRecords(records, found.fields)

    return stage_upload(scan_upload(publisher.store, upload), {}, count), asked


def test_short_csv_lines_are_rejected_and_trailing_empty_values_kept(
    publisher: LakePublisher,
) -> None:
    staged, asked = stage_local_csv(publisher, RAGGED)
    assert asked == [3]
    assert (staged.rows_read, staged.empty_rows, staged.rejected_rows) == (6, 1, 2)
    assert [r.describe() for r in staged.reject_sample] == [
        "row 2: 2 of 3 fields",
        "row 6: 1 of 3 fields",
    ]
    # The quoted line end and separator are one value; `6,z,` has its three fields.
    assert staged.frame.collect().rows() == [(1, "x", 2), (4, "q\nr, s", 5), (6, "z", None)]


def test_fields_are_not_counted_when_every_row_has_its_last_value(
    publisher: LakePublisher,
) -> None:
    staged, asked = stage_local_csv(publisher, b"a,b\n1,x\n\n2,y\n")
    assert (asked, staged.rejected_rows) == ([], 0)


def test_short_lines_are_not_judged_when_the_readers_disagree_on_the_records(
    publisher: LakePublisher, caplog: pytest.LogCaptureFixture
) -> None:
    """Row numbers would not match: the rows are kept as before rather than the wrong ones
    rejected."""
    staged, _ = stage_local_csv(publisher, RAGGED, records=7)
    assert staged.rejected_rows == 0
    assert "short lines are not checked" in caplog.text
