"""The kernel's one DuckDB connection: httpfs from the duckdb-extension-httpfs wheel, S3 set up."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from urllib.parse import urlsplit

import duckdb

from lakebook.common.settings import Settings
from lakebook.kernel.sql_text import boolean_literal, quote_literal

SECRET_NAME = "lakebook_lake"


class DuckDBSetupError(RuntimeError):
    """The DuckDB connection could not be set up; the message says what to install or set."""


def httpfs_extension_path() -> Path:
    """The httpfs binary duckdb-extension-httpfs ships for the installed duckdb release."""
    spec = importlib.util.find_spec("duckdb_extension_httpfs")
    locations = list(spec.submodule_search_locations or []) if spec else []
    # The wheel lays it out as extensions/v<duckdb version>/ with no platform folder,
    # so DuckDB's extension_directory cannot find it: it is loaded by its path instead.
    for location in locations:
        candidate = (
            Path(location) / "extensions" / f"v{duckdb.__version__}" / "httpfs.duckdb_extension"
        )
        if candidate.is_file():
            return candidate
    raise DuckDBSetupError(
        f"DuckDB's httpfs extension for duckdb {duckdb.__version__} is missing: "
        "install duckdb-extension-httpfs (lakebook[lab])"
    )


def open_connection(
    settings: Settings, *, threads: int | None = None, memory_limit: str | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that reads the lake: httpfs loaded locally, never downloaded."""
    extension = httpfs_extension_path()
    config: dict[str, str | bool | int | float | list[str]] = {
        # Extensions come from the wheel; DuckDB must never try to fetch one at query time.
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
    }
    connection = duckdb.connect(config=config)
    try:
        # LOAD takes no parameters: the path goes in as a quoted SQL string literal.
        connection.execute(f"LOAD {quote_literal(str(extension), 'the httpfs extension path')}")
        # Remote Parquet is immutable once published: cache its bytes and footers in memory.
        connection.execute("SET enable_external_file_cache = true")
        connection.execute("SET parquet_metadata_cache = true")
        apply_limits(connection, threads=threads, memory_limit=memory_limit)
        if settings.s3.lake_root.startswith("s3://"):
            create_s3_secret(connection, settings)
    except BaseException:
        connection.close()
        raise
    return connection


def apply_limits(
    connection: duckdb.DuckDBPyConnection,
    *,
    threads: int | None = None,
    memory_limit: str | None = None,
) -> None:
    """Sets DuckDB's thread count and memory limit; None keeps DuckDB's default. Written as
    literals: a bound parameter would import pandas on the kernel's first query (`sql_text`)."""
    if threads is not None:
        connection.execute(f"SET threads = {int(threads)}")
    if memory_limit is not None:
        connection.execute(f"SET memory_limit = {quote_literal(memory_limit, 'memory_limit')}")


def create_s3_secret(connection: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """A temporary S3 secret for the lake's endpoint.

    The values go in as strictly quoted literals (`sql_text.quote_literal`: `'` doubled, control
    characters refused), not as bound parameters: DuckDB's first statement with parameters
    imports pandas and numpy (~0.3 s of every kernel's first query). The statement is never
    logged or shown, and `duckdb_secrets()` redacts the secret."""
    endpoint = urlsplit(settings.s3.url)
    values = {
        "KEY_ID": quote_literal(
            settings.require_secret("s3_access_key_id"), "LAKEBOOK_S3_ACCESS_KEY_ID"
        ),
        "SECRET": quote_literal(
            settings.require_secret("s3_secret_access_key"), "LAKEBOOK_S3_SECRET_ACCESS_KEY"
        ),
        "ENDPOINT": quote_literal(endpoint.netloc, "LAKEBOOK_S3_ENDPOINT_URL"),
        "REGION": quote_literal(settings.s3.region, "LAKEBOOK_S3_REGION"),
        "URL_STYLE": "'path'",
        "USE_SSL": boolean_literal(endpoint.scheme == "https"),
    }
    options = ", ".join(f"{name} {value}" for name, value in values.items())
    connection.execute(f"CREATE OR REPLACE TEMPORARY SECRET {SECRET_NAME} (TYPE s3, {options})")
