"""The magic's connection loads httpfs (and the lake's S3 secret) only for a query that reads
something remote: a kernel's first local query does not wait for it, and a query that does read
a URL still works on the first try."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from tests.utils.lake import SALES

# Nothing listens on the discard port: a read fails at connecting, after httpfs took the URL.
UNREACHABLE = "http://127.0.0.1:9/data.csv"
HTTPFS_LOADED = "SELECT loaded FROM duckdb_extensions() WHERE extension_name = 'httpfs'"


def httpfs_loaded(shell: InteractiveShell) -> bool:
    return bool(shell.run_line_magic("duckdb", HTTPFS_LOADED).rows == [(True,)])


def test_a_local_query_leaves_httpfs_unloaded_until_a_url_is_read(
    shell: InteractiveShell,
) -> None:
    assert shell.run_line_magic("duckdb", "SELECT 42 AS answer").rows == [(42,)]
    assert not httpfs_loaded(shell)
    with pytest.raises(UsageError, match="127.0.0.1:9"):
        shell.run_line_magic("duckdb", f"SELECT * FROM read_csv('{UNREACHABLE}')")
    assert httpfs_loaded(shell)


def test_a_url_in_a_bound_value_loads_httpfs_first(shell: InteractiveShell) -> None:
    shell.user_ns["source"] = UNREACHABLE
    with pytest.raises(UsageError, match="127.0.0.1:9") as failed:
        shell.run_line_magic("duckdb", "SELECT * FROM read_csv($source)")
    assert "extension httpfs" not in str(failed.value)
    assert httpfs_loaded(shell)


def test_a_url_assembled_in_sql_runs_again_once_httpfs_is_loaded(
    shell: InteractiveShell,
) -> None:
    """The text names no URL, so DuckDB refuses it for want of httpfs; the magic loads httpfs
    and runs the one statement again, which now reaches (and fails at) the network."""
    half = UNREACHABLE.replace("://", ":/' || '/")
    with pytest.raises(UsageError, match="127.0.0.1:9") as failed:
        shell.run_line_magic("duckdb", f"SELECT * FROM read_csv('{half}')")
    assert "extension httpfs" not in str(failed.value)


def test_several_statements_are_not_run_twice(shell: InteractiveShell) -> None:
    half = UNREACHABLE.replace("://", ":/' || '/")
    cell = f"INSERT INTO seen VALUES (1); SELECT * FROM read_csv('{half}')"
    shell.run_line_magic("duckdb", "CREATE TABLE seen (x INTEGER)")
    with pytest.raises(UsageError, match="run the cell again"):
        shell.run_cell_magic("duckdb", "", cell)
    assert shell.run_line_magic("duckdb", "SELECT count(*) FROM seen").rows == [(1,)]
    assert httpfs_loaded(shell)


def test_the_lake_views_load_httpfs(shell: InteractiveShell) -> None:
    shell.run_cell_magic("duckdb", "-o df", "SELECT * FROM lake.sales ORDER BY region")
    assert shell.user_ns["df"].equals(SALES.sort("region"))
    assert httpfs_loaded(shell)
