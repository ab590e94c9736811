from __future__ import annotations

import io
import json
from datetime import date

import polars as pl
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal

from lakebook.common.lake import LakePathError
from lakebook.lake.publisher import LakePublisher
from lakebook.lake.row_widths import (
    ROW_GROUP_BYTES,
    TEXT_BYTES_FOOTER_KEY,
    frame_row_group_rows,
    row_group_rows,
    text_widths,
)
from lakebook.lake.runs import LATEST_CANDIDATES
from lakebook.lake.store import LakeNotFoundError
from tests.utils.lake_listings import record_listings


def sales_frame(rows: int = 1000) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "region": [f"r{i % 7}" for i in range(rows)],
            "amount": [i * 1.5 for i in range(rows)],
            "day": [date(2026, 1, 1 + i % 28) for i in range(rows)],
        }
    )


def test_round_trip_gives_back_the_identical_frame(publisher: LakePublisher) -> None:
    frame = sales_frame()
    publisher.publish(
        frame,
        dataset="sales",
        run_id="run-1",
        flow_name="ingest",
        user="ana",
        parameters={"since": date(2026, 1, 1), "limit": 10},
        inputs=["raw/uploads/ana/u1/data.csv"],
    )
    datasets = publisher.list_datasets()
    assert [(d.name, d.latest.run_id, d.run_count) for d in datasets] == [("sales", "run-1", 1)]
    assert_frame_equal(publisher.scan("sales").collect(), frame)


def test_metadata_describes_the_run(publisher: LakePublisher) -> None:
    frame = sales_frame(250)
    publisher.publish(
        frame.lazy(),
        dataset="sales",
        run_id="run-1",
        flow_name="ingest",
        flow_version="abc123",
        user="ana",
        parameters={"since": date(2026, 1, 1)},
        inputs=["raw/uploads/ana/u1/data.csv"],
    )
    metadata = publisher.read_metadata("sales", "run-1")
    assert metadata.row_count == 250
    assert metadata.columns == {"region": "String", "amount": "Float64", "day": "Date"}
    # In the dataset's column order, as the result preview and the lake browser show them.
    assert list(metadata.columns) == ["region", "amount", "day"]
    assert metadata.bytes > 0
    assert metadata.parameters == {"since": "2026-01-01"}
    assert metadata.inputs == ["raw/uploads/ana/u1/data.csv"]
    assert (metadata.user, metadata.flow_name, metadata.flow_version) == (
        "ana",
        "ingest",
        "abc123",
    )
    assert metadata.compression == "zstd"
    assert metadata.data_uri.endswith("processed/flows/sales/run-1/output.parquet")
    assert metadata.published_at >= metadata.started_at


def test_latest_run_is_the_newest_and_runs_can_be_pinned(publisher: LakePublisher) -> None:
    first, second = sales_frame(10), sales_frame(20)
    publisher.publish(first, dataset="sales", run_id="run-a", flow_name="ingest")
    publisher.publish(second, dataset="sales", run_id="run-b", flow_name="ingest")
    assert publisher.latest_run("sales").run_id == "run-b"
    assert [run.run_id for run in publisher.list_runs("sales")] == ["run-b", "run-a"]
    assert publisher.scan("sales").collect().height == 20
    assert publisher.scan("sales", run_id="run-a").collect().height == 10


def test_open_run_names_the_run_it_reads(publisher: LakePublisher) -> None:
    publisher.publish(sales_frame(10), dataset="sales", run_id="run-a", flow_name="ingest")
    publisher.publish(sales_frame(20), dataset="sales", run_id="run-b", flow_name="ingest")
    latest = publisher.open_run("sales")
    pinned = publisher.open_run("sales", "run-a")
    assert (latest.run_id, latest.frame.collect().height) == ("run-b", 20)
    assert (pinned.run_id, pinned.frame.collect().height) == ("run-a", 10)
    with pytest.raises(LakeNotFoundError, match="not published"):
        publisher.open_run("sales", "run-c")


def test_retry_of_a_run_overwrites_only_its_own_prefix(publisher: LakePublisher) -> None:
    publisher.publish(sales_frame(10), dataset="sales", run_id="run-a", flow_name="ingest")
    publisher.publish(sales_frame(30), dataset="sales", run_id="run-b", flow_name="ingest")
    publisher.publish(sales_frame(40), dataset="sales", run_id="run-b", flow_name="ingest")
    assert publisher.scan("sales", run_id="run-a").collect().height == 10
    assert publisher.scan("sales", run_id="run-b").collect().height == 40
    assert publisher.list_datasets()[0].run_count == 2


def test_run_without_success_marker_is_invisible(publisher: LakePublisher) -> None:
    publisher.publish(sales_frame(10), dataset="sales", run_id="run-a", flow_name="ingest")
    publisher.publish(sales_frame(20), dataset="sales", run_id="run-b", flow_name="ingest")
    publisher.store.remove(publisher.paths.run_success_key("sales", "run-b"))
    assert publisher.latest_run("sales").run_id == "run-a"
    with pytest.raises(LakeNotFoundError, match="not published"):
        publisher.scan("sales", run_id="run-b")
    with pytest.raises(LakeNotFoundError, match="not published"):
        publisher.read_metadata("sales", "run-b")


def test_empty_lake_lists_nothing_and_unknown_dataset_is_clear(publisher: LakePublisher) -> None:
    assert publisher.list_datasets() == []
    with pytest.raises(LakeNotFoundError, match="dataset 'nothing' has no published run"):
        publisher.latest_run("nothing")


def test_unsafe_names_are_refused_before_anything_is_written(publisher: LakePublisher) -> None:
    with pytest.raises(LakePathError):
        publisher.publish(sales_frame(1), dataset="sales", run_id="../escape", flow_name="x")
    with pytest.raises(LakePathError):
        publisher.publish(sales_frame(1), dataset="../sales", run_id="r", flow_name="x")
    assert publisher.list_datasets() == []


def test_success_marker_holds_the_precise_publish_time(publisher: LakePublisher) -> None:
    metadata = publisher.publish(sales_frame(1), dataset="sales", run_id="r1", flow_name="x")
    marker = json.loads(publisher.store.read_bytes(publisher.paths.run_success_key("sales", "r1")))
    assert marker == {"published_at": metadata.published_at.isoformat()}


def row_group_sizes(publisher: LakePublisher, dataset: str) -> list[int]:
    key = publisher.paths.run_data_key(dataset, publisher.latest_run(dataset).run_id)
    footer = pq.ParquetFile(io.BytesIO(publisher.store.read_bytes(key))).metadata
    return [footer.row_group(index).num_rows for index in range(footer.num_row_groups)]


def test_row_groups_hold_about_128_mb_of_a_guessed_width() -> None:
    def columns(count: int, dtype: pl.DataType) -> dict[str, pl.DataType]:
        return {f"c{index}": dtype for index in range(count)}

    assert row_group_rows(columns(1, pl.Int8())) == row_group_rows(columns(16, pl.Int64())) == 2**20
    assert row_group_rows(columns(64, pl.Int8())) == 2**18
    assert row_group_rows(columns(16, pl.String())) == 2**18  # 32 bytes a string
    assert row_group_rows(columns(8, pl.List(pl.Int64()))) == 2**18  # 64 bytes a list
    assert row_group_rows(columns(1000, pl.Float64())) == 122_880  # never fewer rows
    # A length the caller measured wins over the guess; each string also takes a 16-byte view.
    assert row_group_rows(columns(2, pl.String()), {"c0": 1000.5}) == ROW_GROUP_BYTES // 1049


def long_strings(rows: int, width: int) -> pl.DataFrame:
    """A column of distinct strings of `width` characters, and an id."""
    text = pl.int_range(rows).cast(pl.String).str.pad_start(width, "0")
    return pl.select(text.alias("text"), pl.int_range(rows, dtype=pl.Int64).alias("id"))


def test_a_dataframes_rows_are_measured_a_lazyframes_guessed() -> None:
    frame = long_strings(1000, 512)
    # 512 bytes of text, its 16-byte view and 8 of id a row; the schema's guess: 32 + 8.
    assert frame_row_group_rows(frame) == ROW_GROUP_BYTES // 536
    assert frame_row_group_rows(frame.lazy()) == row_group_rows(frame.schema) == 2**20
    narrow = pl.DataFrame({"id": [1, 2, 3]})
    assert frame_row_group_rows(narrow) == 2**20
    assert frame_row_group_rows(narrow.clear()) == 2**20  # no rows to measure: the guess


def test_long_strings_are_written_in_row_groups_of_about_128_mb(
    publisher: LakePublisher,
) -> None:
    rows_per_group = ROW_GROUP_BYTES // 536
    frame = long_strings(2 * rows_per_group + 7, 512)
    publisher.publish(frame, dataset="texts", run_id="run-1", flow_name="test")
    assert row_group_sizes(publisher, "texts") == [rows_per_group, rows_per_group, 7]


def test_metadata_records_the_text_widths_readers_can_size_their_groups_by(
    publisher: LakePublisher,
) -> None:
    frame = pl.DataFrame(
        {"name": ["a", "bbb", None, "é"], "blob": [b"xy", b"", b"z", None], "n": [1, 2, 3, 4]}
    )
    # Bytes, not characters ("é" is two); a null counts nothing, as in the row it stands for.
    assert text_widths(frame) == {"name": 1.5, "blob": 0.8}
    assert text_widths(frame.lazy()) == {}
    assert text_widths(frame.lazy(), {"name": 900.25}) == {"name": 900.2}
    assert text_widths(frame.clear()) == {}
    metadata = publisher.publish(frame, dataset="texts", run_id="run-1", flow_name="test")
    assert metadata.text_bytes == {"name": 1.5, "blob": 0.8}
    assert footer_metadata(publisher, "texts", "run-1")[TEXT_BYTES_FOOTER_KEY] == (
        '{"name": 1.5, "blob": 0.8}'
    )
    # Read from the footer: metadata.json is not needed for them.
    publisher.store.remove(publisher.paths.run_metadata_key("texts", "run-1"))
    assert publisher.read_text_widths("texts", "run-1") == {"name": 1.5, "blob": 0.8}
    publisher.publish(frame.lazy(), dataset="texts", run_id="run-2", flow_name="test")
    assert footer_metadata(publisher, "texts", "run-2")[TEXT_BYTES_FOOTER_KEY] == "{}"
    assert publisher.read_text_widths("texts", "run-2") == {}


def test_metadata_counts_the_rows_and_bytes_written_and_keeps_every_type(
    publisher: LakePublisher,
) -> None:
    """Rows, bytes and schema come from the sink and the plan, not from reading the file back:
    they must be what a reader of the file finds."""
    frame = pl.DataFrame(
        {
            "day": [date(2026, 1, 1), None, date(2026, 1, 3)],
            "tag": pl.Series(["a", "b", "a"], dtype=pl.Categorical),
            "price": pl.Series(["1.50", "2.25", None], dtype=pl.String).cast(pl.Decimal(10, 2)),
            "items": [[1, 2], [], None],
            "point": [{"x": 1.0, "y": 2.0}, None, {"x": 3.0, "y": None}],
            "nothing": [None, None, None],
        }
    )
    lazy = frame.lazy().filter(pl.col("items").is_not_null())
    for run_id, published in (("eager", frame), ("lazy", lazy)):
        metadata = publisher.publish(published, dataset="typed", run_id=run_id, flow_name="t")
        key = publisher.paths.run_data_key("typed", run_id)
        written = publisher.scan("typed", run_id)
        assert metadata.columns == {
            name: str(dtype) for name, dtype in written.collect_schema().items()
        }
        assert metadata.row_count == written.select(pl.len()).collect().item()
        assert metadata.bytes == publisher.store.size(key)
    assert publisher.read_metadata("typed", "lazy").row_count == 2


def test_a_run_without_widths_in_its_footer_reads_them_from_metadata_json(
    publisher: LakePublisher,
) -> None:
    """Runs published before footers carried widths still size a transform's row groups."""
    frame = pl.DataFrame({"region": ["north", "south"]})
    publisher.publish(frame, dataset="sales", run_id="run-1", flow_name="test")
    data_key = publisher.paths.run_data_key("sales", "run-1")
    publisher.store.write_bytes(data_key, parquet_bytes(frame))
    assert TEXT_BYTES_FOOTER_KEY not in footer_metadata(publisher, "sales", "run-1")
    assert publisher.read_text_widths("sales", "run-1") == {"region": 5.0}


def test_narrow_tables_are_written_in_row_groups_of_2_20_rows(publisher: LakePublisher) -> None:
    narrow = pl.DataFrame({"id": pl.int_range(2**20 + 5, eager=True, dtype=pl.Int32)})
    publisher.publish(narrow, dataset="narrow", run_id="run-1", flow_name="test")
    assert row_group_sizes(publisher, "narrow") == [2**20, 5]


def test_wide_tables_are_written_in_smaller_row_groups(publisher: LakePublisher) -> None:
    rows = 2**18 + 3
    wide = pl.select(pl.repeat(1, rows, dtype=pl.Int8).alias(f"c{index}") for index in range(64))
    publisher.publish(wide.lazy(), dataset="wide", run_id="run-1", flow_name="test")
    assert row_group_sizes(publisher, "wide") == [2**18, 3]


def test_widths_that_are_not_usable_read_as_none_recorded(publisher: LakePublisher) -> None:
    """Widths only size row groups: an odd footer or metadata.json, or none, must not fail a
    transform's planning."""
    frame = sales_frame(3)
    publisher.publish(frame, dataset="sales", run_id="run-1", flow_name="test")
    data_key = publisher.paths.run_data_key("sales", "run-1")
    broken_widths = ("not json", "[1, 2]", '{"region": "wide"}')
    for broken in broken_widths:
        footer = {TEXT_BYTES_FOOTER_KEY: broken}
        publisher.store.write_bytes(data_key, parquet_bytes(frame, footer))
        assert publisher.read_text_widths("sales", "run-1") == {}
    # An older run's footer has none: its metadata.json is read instead.
    publisher.store.write_bytes(data_key, parquet_bytes(frame))
    metadata_key = publisher.paths.run_metadata_key("sales", "run-1")
    for broken in ("not json", "[1, 2]", '{"text_bytes": {"region": "wide"}}'):
        publisher.store.write_bytes(metadata_key, broken.encode())
        assert publisher.read_text_widths("sales", "run-1") == {}
    publisher.store.remove(metadata_key)
    assert publisher.read_text_widths("sales", "run-1") == {}
    publisher.store.write_bytes(data_key, b"not parquet")
    assert publisher.read_text_widths("sales", "run-1") == {}


def parquet_bytes(frame: pl.DataFrame, footer: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer, metadata=footer)
    return buffer.getvalue()


def footer_metadata(publisher: LakePublisher, dataset: str, run_id: str) -> dict[str, str]:
    key = publisher.paths.run_data_key(dataset, run_id)
    return pl.read_parquet_metadata(publisher.store.read_bytes(key))


def test_prepare_run_takes_a_run_out_of_listings_and_indexes_it(publisher: LakePublisher) -> None:
    publisher.publish(sales_frame(3), dataset="sales", run_id="run-1", flow_name="test")
    publisher.prepare_run("sales", "run-1")
    publisher.prepare_run("sales", "run-2")  # a run never published: nothing to hide
    assert publisher.list_runs("sales") == []
    assert set(publisher.store.find(publisher.paths.run_index_prefix("run-2"))) == {
        publisher.paths.run_index_key("run-2", "sales")
    }
    with pytest.raises(LakePathError):
        publisher.prepare_run("../sales", "run-1")
    with pytest.raises(LakePathError):
        publisher.prepare_run("sales", "run/1")


def index_listing(publisher: LakePublisher, run_id: str) -> str:
    return publisher.paths.run_index_prefix(run_id) + "/"


def test_find_run_reads_the_runs_index_instead_of_listing_the_lake(
    publisher: LakePublisher, monkeypatch: pytest.MonkeyPatch
) -> None:
    for dataset, run_id in [("sales", "run-1"), ("sales", "run-2"), ("costs", "run-3")]:
        publisher.publish(sales_frame(3), dataset=dataset, run_id=run_id, flow_name="test")
    listed = record_listings(monkeypatch)
    found = publisher.find_run("run-2")
    assert (found.dataset, found.run_id) == ("sales", "run-2")
    assert found.data_uri == publisher.paths.uri(publisher.paths.run_data_key("sales", "run-2"))
    assert publisher.find_run("run-3").dataset == "costs"
    assert listed == [index_listing(publisher, "run-2"), index_listing(publisher, "run-3")]


def test_a_run_that_published_two_datasets_is_found_by_its_newest(
    publisher: LakePublisher,
) -> None:
    # Within one second (object stores keep whole seconds): the markers' precise times decide.
    for dataset in ["alpha", "zeta"]:
        publisher.publish(sales_frame(3), dataset=dataset, run_id="run-1", flow_name="test")
    assert publisher.find_run("run-1").dataset == "zeta"


def test_a_prepared_run_that_never_published_is_not_found_without_a_listing(
    publisher: LakePublisher, monkeypatch: pytest.MonkeyPatch
) -> None:
    publisher.publish(sales_frame(3), dataset="sales", run_id="run-1", flow_name="test")
    publisher.prepare_run("sales", "run-2")  # then the run failed before its _SUCCESS
    listed = record_listings(monkeypatch)
    with pytest.raises(LakeNotFoundError, match="run 'run-2' has published no dataset"):
        publisher.find_run("run-2")
    assert listed == [index_listing(publisher, "run-2")]
    with pytest.raises(LakePathError):
        publisher.find_run("../run-1")


def test_a_run_published_before_runs_were_indexed_is_found_and_indexed_once(
    publisher: LakePublisher, monkeypatch: pytest.MonkeyPatch
) -> None:
    publisher.publish(sales_frame(3), dataset="sales", run_id="run-1", flow_name="test")
    publisher.store.remove_prefix(publisher.paths.run_index_prefix("run-1"))
    listed = record_listings(monkeypatch)
    assert publisher.find_run("run-1").dataset == "sales"
    assert listed == [index_listing(publisher, "run-1"), publisher.paths.datasets_prefix()]
    listed.clear()
    assert publisher.find_run("run-1").dataset == "sales"
    assert listed == [index_listing(publisher, "run-1")]
    with pytest.raises(LakeNotFoundError, match="run 'run-9' has published no dataset"):
        publisher.find_run("run-9")


def lists_outside_publications(listed: list[str], publisher: LakePublisher, dataset: str) -> bool:
    """Whether any listing went beyond the dataset's publication entries (a local lake lists
    them with `find`; S3 with one LIST of a few keys, not recorded here)."""
    entries = publisher.paths.publications_prefix(dataset)
    return any(not prefix.startswith(entries) for prefix in listed)


def test_latest_run_reads_the_newest_publication_entry_without_listing_the_runs(
    publisher: LakePublisher, monkeypatch: pytest.MonkeyPatch
) -> None:
    for run_id in ["run-c", "run-a", "run-b"]:  # ids out of order: the publish time decides
        publisher.publish(sales_frame(3), dataset="sales", run_id=run_id, flow_name="test")
    listed = record_listings(monkeypatch)
    latest = publisher.latest_run("sales")
    assert latest.run_id == "run-b"
    assert latest.data_uri == publisher.paths.uri(publisher.paths.run_data_key("sales", "run-b"))
    marker = publisher.store.read_bytes(publisher.paths.run_success_key("sales", "run-b"))
    assert latest.published_at.isoformat() == json.loads(marker)["published_at"]
    assert not lists_outside_publications(listed, publisher, "sales")


def test_latest_run_passes_over_entries_of_runs_being_rewritten(
    publisher: LakePublisher, monkeypatch: pytest.MonkeyPatch
) -> None:
    publisher.publish(sales_frame(3), dataset="sales", run_id="run-1", flow_name="test")
    publisher.publish(sales_frame(3), dataset="sales", run_id="run-2", flow_name="test")
    publisher.prepare_run("sales", "run-2")  # a retry of run-2 has begun
    listed = record_listings(monkeypatch)
    assert publisher.latest_run("sales").run_id == "run-1"
    assert not lists_outside_publications(listed, publisher, "sales")
    publisher.publish(sales_frame(5), dataset="sales", run_id="run-2", flow_name="test")
    assert publisher.latest_run("sales").run_id == "run-2"  # its newer entry lists first


def test_latest_run_lists_every_run_where_the_newest_entries_name_none_published(
    publisher: LakePublisher, monkeypatch: pytest.MonkeyPatch
) -> None:
    publisher.publish(sales_frame(3), dataset="sales", run_id="old-1", flow_name="test")
    publisher.publish(sales_frame(3), dataset="sales", run_id="old-2", flow_name="test")
    # Published before publication entries existed: no entries at all.
    publisher.store.remove_prefix(publisher.paths.publications_prefix("sales"))
    listed = record_listings(monkeypatch)
    assert publisher.latest_run("sales").run_id == "old-2"
    assert publisher.paths.dataset_prefix("sales") in listed
    # More failed or rewritten runs than the entries read: the listing still finds old-2.
    for number in range(LATEST_CANDIDATES):
        run_id = f"failed-{number}"
        publisher.publish(sales_frame(1), dataset="sales", run_id=run_id, flow_name="test")
        publisher.prepare_run("sales", run_id)
    assert publisher.latest_run("sales").run_id == "old-2"
    with pytest.raises(LakeNotFoundError, match="dataset 'other' has no published run"):
        publisher.latest_run("other")
