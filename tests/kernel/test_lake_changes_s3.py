"""`lake.*` on a real SeaweedFS: a query whose datasets did not change makes one LIST of the change
markers and no lookup; a run another process publishes, or hides for a retry, is what the next
query reads, however soon."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from IPython.core.interactiveshell import InteractiveShell

from lakebook.common.settings import Settings
from lakebook.kernel.magics import DuckDBMagic
from lakebook.lake.changes import ChangeMarkers
from lakebook.lake.publisher import LakePublisher
from lakebook.lake.runs import LakeRuns, PublishedRun
from lakebook.lake.store import LakeError, LakeStore
from tests.utils.services import S3Server

# The second writer: another process with its own store, as a flow run publishing would be.
SECOND_WRITER = textwrap.dedent(
    """
    import json, sys
    import polars as pl
    from lakebook.common.settings import Settings
    from lakebook.lake.publisher import LakePublisher
    from lakebook.lake.store import LakeStore

    order = json.loads(sys.stdin.read())
    publisher = LakePublisher(LakeStore.from_settings(Settings(**order["settings"])))
    if order["action"] == "publish":
        frame = pl.DataFrame({"n": list(range(order["rows"]))})
        publisher.publish(frame, dataset=order["dataset"], run_id=order["run_id"], flow_name="w")
    else:
        publisher.prepare_run(order["dataset"], order["run_id"])
    print("done")
    """
)


def second_writer(settings: Settings, **order: object) -> None:
    values = {
        "data_dir": str(settings.data_dir),
        "lake_url": settings.s3.lake_root,
        "s3_endpoint_url": settings.s3.url,
        "s3_bucket": settings.s3.bucket,
        "s3_access_key_id": settings.require_secret("s3_access_key_id"),
        "s3_secret_access_key": settings.require_secret("s3_secret_access_key"),
    }
    done = subprocess.run(
        [sys.executable, "-c", SECOND_WRITER],
        input=json.dumps({"settings": values, **order}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "done"


@pytest.fixture
def lake_settings(s3_server: S3Server, tmp_path: Path) -> Settings:
    return s3_server.settings_with(lake_url=f"s3://{s3_server.settings.s3.bucket}/{tmp_path.name}")


@pytest.fixture
def publisher(lake_settings: Settings) -> LakePublisher:
    return LakePublisher(LakeStore.from_settings(lake_settings))


@pytest.fixture
def s3_shell(lake_settings: Settings) -> Iterator[InteractiveShell]:
    ipython = InteractiveShell.instance()
    magic = DuckDBMagic(shell=ipython, settings=lake_settings)
    ipython.register_magics(magic)
    yield ipython
    magic.close()
    ipython.user_ns.pop("out", None)


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The datasets whose latest run is looked up from now on (the lookups still run)."""
    looked_up: list[str] = []
    latest_run = LakeRuns.latest_run

    def recording(runs: LakeRuns, dataset: str) -> PublishedRun:
        looked_up.append(dataset)
        return latest_run(runs, dataset)

    monkeypatch.setattr(LakeRuns, "latest_run", recording)
    return looked_up


def count(shell: InteractiveShell, dataset: str) -> int:
    rows = shell.run_line_magic("duckdb", f"SELECT count(*) FROM lake.{dataset}").rows
    return int(rows[0][0])


def test_markers_change_with_each_publish_of_their_dataset_only(
    publisher: LakePublisher,
) -> None:
    markers = ChangeMarkers(publisher.store)
    try:
        assert markers.available
        assert markers.tags() == {}
        publisher.publish(pl.DataFrame({"n": [1]}), dataset="sales", run_id="s1", flow_name="t")
        publisher.publish(pl.DataFrame({"n": [1]}), dataset="costs", run_id="c1", flow_name="t")
        first = markers.tags()
        assert set(first) == {"sales", "costs"}
        publisher.publish(pl.DataFrame({"n": [2]}), dataset="sales", run_id="s2", flow_name="t")
        second = markers.tags()
        assert second["sales"] != first["sales"]
        assert second["costs"] == first["costs"]
        # The store closing the kept-alive connection costs one more request, not an error.
        connection = markers._connection
        assert connection is not None
        assert connection.sock is not None
        connection.sock.shutdown(socket.SHUT_RDWR)
        assert markers.tags() == second
    finally:
        markers.close()


def test_an_unchanged_lake_is_checked_with_one_listing_and_no_lookup(
    s3_shell: InteractiveShell, publisher: LakePublisher, lookups: list[str]
) -> None:
    publisher.publish(pl.DataFrame({"n": [1, 2]}), dataset="sales", run_id="s1", flow_name="t")
    publisher.publish(pl.DataFrame({"n": [1]}), dataset="costs", run_id="c1", flow_name="t")
    join = "SELECT count(*) FROM lake.sales, lake.costs"
    assert s3_shell.run_line_magic("duckdb", join).rows == [(2,)]
    assert sorted(lookups) == ["costs", "sales"]  # first sight: both looked up, side by side
    lookups.clear()
    for _ in range(3):
        assert s3_shell.run_line_magic("duckdb", join).rows == [(2,)]
    assert lookups == []
    publisher.publish(pl.DataFrame({"n": [1, 2, 3]}), dataset="costs", run_id="c2", flow_name="t")
    assert s3_shell.run_line_magic("duckdb", join).rows == [(6,)]
    assert lookups == ["costs"]


def test_a_run_another_process_publishes_is_read_by_the_next_query(
    s3_shell: InteractiveShell, publisher: LakePublisher, lake_settings: Settings
) -> None:
    publisher.publish(pl.DataFrame({"n": [1, 2, 3]}), dataset="sales", run_id="r1", flow_name="t")
    assert count(s3_shell, "sales") == 3
    assert count(s3_shell, "sales") == 3
    second_writer(lake_settings, action="publish", dataset="sales", run_id="r2", rows=5)
    assert count(s3_shell, "sales") == 5
    second_writer(lake_settings, action="publish", dataset="sales", run_id="r3", rows=7)
    assert count(s3_shell, "sales") == 7


def test_a_run_hidden_for_a_retry_is_no_longer_read(
    s3_shell: InteractiveShell, publisher: LakePublisher, lake_settings: Settings
) -> None:
    publisher.publish(pl.DataFrame({"n": [1, 2, 3]}), dataset="sales", run_id="r1", flow_name="t")
    publisher.publish(pl.DataFrame({"n": [1]}), dataset="sales", run_id="r2", flow_name="t")
    assert count(s3_shell, "sales") == 1
    second_writer(lake_settings, action="prepare", dataset="sales", run_id="r2")
    assert count(s3_shell, "sales") == 3  # r2 is being rewritten: the latest is r1 again


def test_a_dataset_without_a_marker_is_looked_up_every_time(
    s3_shell: InteractiveShell, publisher: LakePublisher, lookups: list[str]
) -> None:
    """Published before markers existed: no tag to compare, so no reuse (as before markers)."""
    publisher.publish(pl.DataFrame({"n": [1]}), dataset="sales", run_id="r1", flow_name="t")
    publisher.store.remove(publisher.paths.change_marker_key("sales"))
    assert count(s3_shell, "sales") == 1
    assert count(s3_shell, "sales") == 1
    assert lookups == ["sales", "sales"]


def test_an_unreachable_store_is_a_lake_error_naming_it(lake_settings: Settings) -> None:
    """The views then look every dataset up through s3fs, whose error the user sees."""
    unreachable = lake_settings.with_values(s3_endpoint_url="http://127.0.0.1:9")
    markers = ChangeMarkers(LakeStore.from_settings(unreachable))
    try:
        with pytest.raises(LakeError, match=r"cannot list http://127\.0\.0\.1:9"):
            markers.tags()
    finally:
        markers.close()


def test_a_refresh_remembers_the_markers_it_listed_before(
    s3_shell: InteractiveShell, publisher: LakePublisher, lookups: list[str]
) -> None:
    publisher.publish(pl.DataFrame({"n": [1, 2]}), dataset="sales", run_id="s1", flow_name="t")
    datasets = s3_shell.run_line_magic("lakebook", "datasets")
    assert [row[:3] for row in datasets.rows] == [("sales", "s1", "s1")]
    assert count(s3_shell, "sales") == 2
    assert lookups == []  # the listing found the latest run; its marker has not changed since
    publisher.publish(pl.DataFrame({"n": [1]}), dataset="sales", run_id="s2", flow_name="t")
    assert count(s3_shell, "sales") == 1
    assert lookups == ["sales"]
