"""The kernel's one DuckDB connection: httpfs from the duckdb-extension-httpfs wheel, S3 set up."""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from pathlib import Path
from typing import Any
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
    settings: Settings,
    *,
    threads: int | None = None,
    memory_limit: str | None = None,
    remote: bool = True,
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that reads the lake: httpfs loaded locally, never downloaded.
    `remote=False` leaves httpfs and the S3 secret to `enable_remote` (the kernel calls it before
    its first query that reads anything remote: a local query need not wait for them)."""
    config: dict[str, str | bool | int | float | list[str]] = {
        # Extensions come from the wheel; DuckDB must never try to fetch one at query time.
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
    }
    connection = duckdb.connect(config=config)
    try:
        # Remote Parquet is immutable once published: cache its bytes and footers in memory.
        connection.execute("SET enable_external_file_cache = true")
        connection.execute("SET parquet_metadata_cache = true")
        apply_limits(connection, threads=threads, memory_limit=memory_limit)
        if remote:
            enable_remote(connection, settings)
    except BaseException:
        connection.close()
        raise
    return connection


def enable_remote(connection: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Loads httpfs from the wheel (~50 ms) and, for a lake on S3, creates its secret."""
    extension = httpfs_extension_path()
    # LOAD takes no parameters: the path goes in as a quoted SQL string literal.
    connection.execute(f"LOAD {quote_literal(str(extension), 'the httpfs extension path')}")
    if settings.s3.lake_root.startswith("s3://"):
        create_s3_secret(connection, settings)


def reads_remote(sql: str, parameters: Mapping[str, Any]) -> bool:
    """Whether a statement may read a URL (s3://, https://, …): its text or a bound value names
    one. What this misses (a URL assembled inside SQL) fails with `needs_httpfs`'s error."""
    values = (str(value) for value in parameters.values() if isinstance(value, str | list | tuple))
    return "://" in sql or any("://" in value for value in values)


def needs_httpfs(message: str) -> bool:
    """Whether DuckDB refused a statement for want of httpfs (a URL, or an S3 secret)."""
    return "extension httpfs" in message or "in the httpfs extension" in message


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
