from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lakebook.common.lake import LakePathError, LakePaths, parse_publication


def test_zone_keys() -> None:
    paths = LakePaths("s3://lake/")
    assert paths.upload_key("ana", "u1", "csv") == "raw/uploads/ana/u1/data.csv"
    assert paths.run_data_key("sales", "r-1") == "processed/flows/sales/r-1/output.parquet"
    assert paths.run_metadata_key("sales", "r-1") == "processed/flows/sales/r-1/metadata.json"
    assert paths.run_success_key("sales", "r-1") == "processed/flows/sales/r-1/_SUCCESS"
    assert paths.run_index_key("r-1", "sales") == "processed/runs/r-1/sales"
    assert paths.report_prefix("rep7") == "results/reports/rep7"
    assert paths.uri("raw/x") == "s3://lake/raw/x"


@pytest.mark.parametrize("run_id", ["../other", "a/b", "..", "", "x" * 129, "a b"])
def test_unsafe_ids_are_refused(run_id: str) -> None:
    with pytest.raises(LakePathError, match="run id"):
        LakePaths("s3://lake").run_prefix("sales", run_id)
    with pytest.raises(LakePathError, match="run id"):
        LakePaths("s3://lake").run_index_prefix(run_id)


@pytest.mark.parametrize("name", ["Sales", "1sales", "sales-2024", "sales;drop", ""])
def test_dataset_names_are_safe_identifiers(name: str) -> None:
    with pytest.raises(LakePathError, match="dataset name"):
        LakePaths("s3://lake").dataset_prefix(name)
    with pytest.raises(LakePathError, match="dataset name"):
        LakePaths("s3://lake").run_index_key("r-1", name)


def test_upload_types_are_limited() -> None:
    with pytest.raises(LakePathError, match="upload type 'exe'"):
        LakePaths("s3://lake").upload_key("ana", "u1", "exe")


def test_root_must_be_s3_or_file() -> None:
    with pytest.raises(LakePathError, match="s3:// or file://"):
        LakePaths("/tmp/lake")


def test_publication_entries_list_newest_first_and_hold_run_and_time() -> None:
    paths = LakePaths("s3://lake")
    earlier = datetime(2026, 12, 6, 15, 0, 0, 999_999, tzinfo=UTC)
    later = earlier + timedelta(microseconds=1)
    keys = [paths.publication_key("sales", run, at) for run, at in [("r1", earlier), ("r2", later)]]
    assert sorted(keys) == keys[::-1]
    prefix = paths.publications_prefix("sales") + "/"
    assert all(key.startswith(prefix) for key in keys)
    assert parse_publication(keys[1].removeprefix(prefix)) == ("r2", later)
    for name in ["123-r1", "x" * 17 + "-r1", "00000000000000001-", "00000000000000001-../r"]:
        assert parse_publication(name) is None
    with pytest.raises(LakePathError, match="run id"):
        paths.publication_key("sales", "../r", later)


@pytest.mark.parametrize(
    ("key", "owner"),
    [
        ("raw/uploads/ana/u1/data.csv", "ana"),
        (LakePaths("s3://lake").upload_key("bo.b", "u2", "parquet"), "bo.b"),
        ("raw/uploads/ana/", "ana"),
        ("raw/uploads/ana", None),
        ("raw/uploads//u1/data.csv", None),
        ("raw/uploads/ana/../bo/u1/data.csv", None),
        ("raw/uploads/a..b/u1/data.csv", None),
        ("raw/other/ana/u1/data.csv", None),
        ("processed/flows/sales/r-1/output.parquet", None),
        ("s3://lake/raw/uploads/ana/u1/data.csv", None),
        ("", None),
    ],
)
def test_upload_owner_is_the_folder_under_uploads(key: str, owner: str | None) -> None:
    assert LakePaths.upload_owner(key) == owner
    assert LakePaths("file:///lake").upload_owner(key) == owner
