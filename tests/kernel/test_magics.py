"""%%duckdb and %lakebook in an in-process IPython shell over a local-folder lake."""

from __future__ import annotations

import _thread
import importlib.util
import threading
from datetime import date, datetime

import polars as pl
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from lakebook.kernel.render import ResultPreview, TextPreview
from lakebook.lake.publisher import LakePublisher
from tests.utils.lake import SALES
from tests.utils.lake_listings import record_listings


def test_lake_view_reads_the_latest_run_into_polars(shell: InteractiveShell) -> None:
    shell.run_cell_magic("duckdb", "-o df", "SELECT * FROM lake.sales ORDER BY region")
    assert shell.user_ns["df"].equals(SALES.sort("region"))


def test_python_values_are_bound_as_parameters(shell: InteractiveShell) -> None:
    shell.user_ns.update(
        name="north",
        floor=50,
        ratio=1.5,
        day=date(2026, 1, 2),
        moment=datetime(2026, 1, 2, 3, 4, 5),
        regions=["north", "east"],
    )
    shell.run_cell_magic(
        "duckdb",
        "-o df",
        "SELECT $name AS name, $floor + 1 AS floor, $ratio * 2 AS ratio, $day AS day, "
        "$moment AS moment, "
        "(SELECT count(*) FROM lake.sales WHERE list_contains($regions, region)) AS n",
    )
    expected = pl.DataFrame(
        {
            "name": ["north"],
            "floor": pl.Series([51], dtype=pl.Int32),
            "ratio": [3.0],
            "day": [date(2026, 1, 2)],
            "moment": [datetime(2026, 1, 2, 3, 4, 5)],
            "n": [2],
        }
    )
    assert shell.user_ns["df"].equals(expected)


def test_injection_through_a_variable_is_a_plain_value(shell: InteractiveShell) -> None:
    shell.user_ns["region"] = "x' OR 1=1 --"
    shell.run_cell_magic("duckdb", "-o df", "SELECT * FROM lake.sales WHERE region = $region")
    assert shell.user_ns["df"].height == 0
    shell.run_line_magic("duckdb", "-o df SELECT $region AS value")
    assert shell.user_ns["df"].item() == "x' OR 1=1 --"


def test_missing_variable_names_it(shell: InteractiveShell) -> None:
    with pytest.raises(UsageError, match=r"\$nowhere"):
        shell.run_cell_magic("duckdb", "", "SELECT $nowhere")


def test_sql_error_is_one_line_with_duckdb_line_info(shell: InteractiveShell) -> None:
    with pytest.raises(UsageError) as raised:
        shell.run_cell_magic("duckdb", "", "SELEC 1")
    message = str(raised.value)
    assert "\n" not in message
    assert 'syntax error at or near "SELEC"' in message
    assert "LINE 1: SELEC 1" in message


def test_unknown_dataset_names_it_and_lists_the_lake(shell: InteractiveShell) -> None:
    with pytest.raises(UsageError, match=r"no published dataset 'nope' .*\(datasets: sales\)"):
        shell.run_cell_magic("duckdb", "", "SELECT * FROM lake.nope")


def test_polars_frames_are_queryable_by_name(shell: InteractiveShell) -> None:
    shell.user_ns["sales_frame"] = SALES
    shell.run_cell_magic(
        "duckdb",
        "-o out",
        "SELECT a.region, b.units FROM sales_frame a JOIN sales_frame b USING (region) "
        "JOIN lake.sales c USING (region) ORDER BY a.region",
    )
    assert shell.user_ns["out"].rows() == [("east", 1), ("north", 3), ("south", 2)]


@pytest.mark.parametrize("kind", ["pandas", "arrow", "polars", "lazy"])
def test_frames_of_each_library_are_queryable_by_name(shell: InteractiveShell, kind: str) -> None:
    frames = {
        "pandas": SALES.to_pandas,
        "arrow": SALES.to_arrow,
        "polars": lambda: SALES,
        "lazy": SALES.lazy,
    }
    shell.user_ns["sales_frame"] = frames[kind]()
    shell.user_ns["floor"] = 70
    preview = shell.run_line_magic(
        "duckdb", "-o out SELECT region, units FROM sales_frame WHERE amount > $floor ORDER BY 1"
    )
    assert preview.rows == [("north", 3), ("south", 2)]
    assert isinstance(shell.user_ns["out"], pl.DataFrame)


def test_a_lazy_frame_is_collected_once_per_query(shell: InteractiveShell) -> None:
    collections: list[int] = []

    def count(frame: pl.DataFrame) -> pl.DataFrame:
        collections.append(frame.height)
        return frame

    shell.user_ns["sales_frame"] = SALES.lazy().map_batches(count, streamable=False)
    assert collections == []  # a LazyFrame in the namespace is not run until a query reads it
    preview = shell.run_line_magic(
        "duckdb",
        "SELECT count(*) AS n FROM sales_frame a JOIN sales_frame b USING (region) "
        "JOIN lake.sales c USING (region)",
    )
    assert preview.rows == [(3,)]
    assert collections == [3]
    shell.run_line_magic("duckdb", "SELECT sum(units) FROM sales_frame")
    assert collections == [3, 3]  # the next query sees the frame's current data


def test_display_shows_first_rows_count_types_and_time(shell: InteractiveShell) -> None:
    shell.run_line_magic("config", "DuckDBMagic.display_limit = 2")
    preview = shell.run_line_magic("duckdb", "SELECT range AS n FROM range(100000)")
    assert isinstance(preview, ResultPreview)
    assert (len(preview.rows), preview.total_rows) == (2, 100_000)
    html = preview._repr_html_()
    assert "100,000 rows (showing first 2)" in html
    assert "<small>BIGINT</small>" in html
    assert html.count("<tr>") == 3
    limited = shell.run_line_magic("duckdb", "--limit 5 SELECT range AS n FROM range(10)")
    assert len(limited.rows) == 5


def test_pinned_runs(shell: InteractiveShell, publisher: LakePublisher) -> None:
    publisher.publish(SALES.head(1), dataset="sales", run_id="r2", flow_name="test")
    count = "SELECT count(*) AS n FROM lake.sales"
    assert shell.run_line_magic("duckdb", count).rows == [(1,)]
    assert shell.run_line_magic("duckdb", f"--run sales=r1 {count}").rows == [(3,)]
    assert shell.run_line_magic("duckdb", count).rows == [(1,)]
    shell.run_line_magic("lakebook", "pin sales r1")
    assert shell.run_line_magic("duckdb", count).rows == [(3,)]
    datasets = shell.run_line_magic("lakebook", "datasets")
    assert [row[:3] for row in datasets.rows] == [("sales", "r1", "r2")]
    shell.run_line_magic("lakebook", "unpin sales")
    assert shell.run_line_magic("duckdb", count).rows == [(1,)]
    with pytest.raises(UsageError, match=r"run 'r9' .* \(published runs: r2, r1\)"):
        shell.run_line_magic("duckdb", f"--run sales=r9 {count}")


def test_a_fresh_listing_is_reused_until_it_is_old_or_refreshed(
    shell: InteractiveShell, publisher: LakePublisher
) -> None:
    query = "SELECT count(*) AS n FROM lake.sales"
    shell.run_line_magic("config", "DuckDBMagic.lake_listing_seconds = 3600")
    assert shell.run_line_magic("duckdb", query).rows == [(3,)]
    publisher.publish(SALES.head(1), dataset="sales", run_id="r2", flow_name="test")
    assert shell.run_line_magic("duckdb", query).rows == [(3,)]  # the listing is fresh
    shell.run_line_magic("lakebook", "refresh")
    assert shell.run_line_magic("duckdb", query).rows == [(1,)]
    publisher.publish(SALES.head(2), dataset="sales", run_id="r3", flow_name="test")
    shell.run_line_magic("config", "DuckDBMagic.lake_listing_seconds = 0")
    assert shell.run_line_magic("duckdb", query).rows == [(2,)]  # every query lists the lake


def test_a_query_looks_up_only_the_datasets_it_reads_without_listing_the_lake(
    shell: InteractiveShell, publisher: LakePublisher, monkeypatch: pytest.MonkeyPatch
) -> None:
    publisher.publish(SALES.head(1), dataset="costs", run_id="c1", flow_name="test")
    shell.run_line_magic("config", "DuckDBMagic.lake_listing_seconds = 0")
    assert shell.run_line_magic("duckdb", "SELECT count(*) FROM lake.costs").rows == [(1,)]
    publisher.publish(SALES.head(2), dataset="sales", run_id="r2", flow_name="test")
    publisher.publish(SALES.head(2), dataset="costs", run_id="c2", flow_name="test")
    listed = record_listings(monkeypatch)
    assert shell.run_line_magic("duckdb", "SELECT count(*) FROM lake.sales").rows == [(2,)]
    # A local lake lists the publication entries with `find`; S3 with one short LIST.
    assert listed == [publisher.paths.publications_prefix("sales") + "/"]
    listed.clear()
    with pytest.raises(
        UsageError, match=r"no published dataset 'nope' .*\(datasets: costs, sales\)"
    ):
        shell.run_line_magic("duckdb", "SELECT * FROM lake.nope")
    assert publisher.paths.datasets_prefix() in listed  # naming the datasets there are
    datasets = shell.run_line_magic("lakebook", "datasets")
    assert [row[:3] for row in datasets.rows] == [("costs", "c2", "c2"), ("sales", "r2", "r2")]


def test_explain_and_statements_without_rows(shell: InteractiveShell) -> None:
    plan = shell.run_line_magic("duckdb", "--explain SELECT * FROM lake.sales")
    assert isinstance(plan, TextPreview)
    assert "READ_PARQUET" in plan.text
    done = shell.run_line_magic("duckdb", "CREATE TABLE kept AS SELECT 1 AS x")
    assert isinstance(done, TextPreview)
    assert shell.run_line_magic("duckdb", "SELECT x FROM kept").rows == [(1,)]


@pytest.mark.parametrize(("option", "package"), [("--pandas", "pandas"), ("--arrow", "pyarrow")])
def test_other_output_formats(shell: InteractiveShell, option: str, package: str) -> None:
    query = f"-o out {option} SELECT region FROM lake.sales ORDER BY region"
    if importlib.util.find_spec(package) is None:
        with pytest.raises(UsageError, match=f"{option} needs the {package} package"):
            shell.run_line_magic("duckdb", query)
        return
    preview = shell.run_line_magic("duckdb", query)
    assert preview.rows == [("east",), ("north",), ("south",)]
    assert type(shell.user_ns["out"]).__module__.startswith(package)


def test_interrupt_cancels_the_query_and_keeps_the_connection(shell: InteractiveShell) -> None:
    shell.run_line_magic("duckdb", "SELECT 1")  # the connection is open: the query is interrupted
    timer = threading.Timer(0.5, _thread.interrupt_main)
    timer.start()
    try:
        with pytest.raises(UsageError, match="query interrupted"):
            shell.run_line_magic(
                "duckdb", "SELECT sum(hash(range)) FROM range(1000000000000::BIGINT)"
            )
    finally:
        timer.cancel()
    assert shell.run_line_magic("duckdb", "SELECT 42 AS answer").rows == [(42,)]


def test_config_sets_duckdb_limits_on_the_open_connection(shell: InteractiveShell) -> None:
    shell.run_line_magic("duckdb", "SELECT 1")
    shell.run_line_magic("config", "DuckDBMagic.threads = 3")
    shell.run_line_magic("config", "DuckDBMagic.memory_limit = '300MB'")
    limits = shell.run_line_magic(
        "duckdb", "SELECT current_setting('threads') AS t, current_setting('memory_limit') AS m"
    )
    assert limits.rows == [(3, "286.1 MiB")]
