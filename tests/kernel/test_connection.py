"""The kernel's DuckDB connection: httpfs from the wheel, caches on, limits applied."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest

from lakebook.common.settings import Settings
from lakebook.kernel.connection import apply_limits, httpfs_extension_path, open_connection
from lakebook.kernel.sql_text import UnsafeLiteralError, quote_literal


def test_httpfs_is_loaded_from_the_wheel_and_caches_are_on(local_settings: Settings) -> None:
    connection = open_connection(local_settings, threads=2, memory_limit="512MB")
    try:
        loaded = connection.execute(
            "SELECT loaded, installed, install_mode FROM duckdb_extensions() "
            "WHERE extension_name = 'httpfs'"
        ).fetchone()
        # Loaded, yet installed nowhere: it came from the wheel's file, not a download.
        assert loaded == (True, False, "NOT_INSTALLED")
        extension = httpfs_extension_path()
        assert extension.parent.name == f"v{duckdb.__version__}"
        assert "duckdb_extension_httpfs" in extension.parts
        settings = dict(
            connection.execute(
                "SELECT name, value FROM duckdb_settings() WHERE name IN "
                "('threads', 'enable_external_file_cache', 'parquet_metadata_cache', "
                "'autoinstall_known_extensions')"
            ).fetchall()
        )
        assert settings == {
            "threads": "2",
            "enable_external_file_cache": "true",
            "parquet_metadata_cache": "true",
            "autoinstall_known_extensions": "false",
        }
    finally:
        connection.close()


def test_s3_secret_holds_the_keys_quoted(local_settings: Settings) -> None:
    """The keys go into the secret's SQL as literals (a bound parameter costs a kernel's first
    query ~0.3 s), quoted so that a quote in a key is part of the key."""
    settings = local_settings.with_values(
        lake_url="s3://lakebook",
        s3_endpoint_url="https://s3.example.test:9443",
        s3_access_key_id="AKIDEXAMPLE",
        s3_secret_access_key="it's-a-secret-with-quote",
    )
    connection = open_connection(settings)
    try:
        row = connection.execute(
            "SELECT type, secret_string FROM duckdb_secrets() WHERE name = 'lakebook_lake'"
        ).fetchone()
        assert row is not None
        assert row[0] == "s3"
        assert "endpoint=s3.example.test:9443" in row[1]
        assert "use_ssl=true" in row[1]
        assert "it's-a-secret" not in row[1]
    finally:
        connection.close()


def test_a_quote_in_a_key_cannot_inject_sql(local_settings: Settings) -> None:
    """A key that closes the literal and adds a statement or an option stays one string: the
    secret holds it whole and nothing else ran (no table, no other secret option)."""
    injected = "x', REGION 'evil'); CREATE TABLE pwned AS SELECT 1; --"
    settings = local_settings.with_values(
        lake_url="s3://lakebook",
        s3_endpoint_url="http://127.0.0.1:9000",
        s3_access_key_id=injected,
        s3_secret_access_key="a-secret-that-is-long-enough",
        s3_region="us-east-1",
    )
    connection = open_connection(settings)
    try:
        (secret_string,) = connection.execute(
            "SELECT secret_string FROM duckdb_secrets() WHERE name = 'lakebook_lake'"
        ).fetchone() or ("",)
        assert f"key_id={injected}" in secret_string
        assert "region=us-east-1" in secret_string
        tables = connection.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        assert tables == []
    finally:
        connection.close()


@pytest.mark.parametrize("text", ["line\nbreak", "nul\x00byte", "escape\x1b[0m", "del\x7f"])
def test_control_characters_are_refused_naming_the_field(text: str) -> None:
    with pytest.raises(UnsafeLiteralError) as refused:
        quote_literal(text, "LAKEBOOK_S3_SECRET_ACCESS_KEY")
    assert "LAKEBOOK_S3_SECRET_ACCESS_KEY" in str(refused.value)
    assert text not in str(refused.value)  # a secret is never echoed


def test_quote_literal_round_trips_through_duckdb() -> None:
    connection = duckdb.connect()
    try:
        for text in ["plain", "it's", "''", "back\\slash", "ünïcode ✓", ""]:
            assert connection.execute(f"SELECT {quote_literal(text)}").fetchone() == (text,)
    finally:
        connection.close()


def test_memory_limit_is_quoted(local_settings: Settings) -> None:
    connection = open_connection(local_settings)
    try:
        apply_limits(connection, memory_limit="256MB")
        (limit,) = connection.execute("SELECT current_setting('memory_limit')").fetchone() or ("",)
        assert limit.replace(" ", "") in {"256.0MB", "244.1MiB", "256MB"}
        with pytest.raises(duckdb.Error):
            apply_limits(connection, memory_limit="1GB'; SELECT 1; --")
    finally:
        connection.close()


def test_a_kernels_first_local_query_loads_no_s3_stack_and_no_pandas(
    local_settings: Settings,
) -> None:
    """`%load_ext lakebook.kernel` and a query over a local file, with the lake on S3: the S3
    client libraries load when the lake is first used, and pandas (which DuckDB imports for a
    statement's first bound parameter) not at all."""
    script = (
        "import sys\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "ip = InteractiveShell.instance()\n"
        "ip.run_line_magic('load_ext', 'lakebook.kernel')\n"
        "ip.run_cell_magic('duckdb', '-o out', 'SELECT 42 AS answer')\n"
        "assert ip.user_ns['out'].item() == 42\n"
        "print(sorted({'aiobotocore', 'botocore', 's3fs', 'aiohttp', 'pandas', 'httpx'}"
        " & set(sys.modules)))\n"
    )
    env = {
        "LAKEBOOK_DATA_DIR": str(local_settings.data_dir),
        "LAKEBOOK_LAKE_URL": "s3://lakebook",
        "LAKEBOOK_S3_ACCESS_KEY_ID": "AKIDEXAMPLE12345",
        "LAKEBOOK_S3_SECRET_ACCESS_KEY": "a-secret-that-is-long-enough",
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
