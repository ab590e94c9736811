"""The kernel's one DuckDB connection: httpfs from the duckdb-ext-httpfs wheel, S3 from settings."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from urllib.parse import urlsplit

import duckdb

from lakebook.common.settings import Settings

SECRET_NAME = "lakebook_lake"


class DuckDBSetupError(RuntimeError):
    """The DuckDB connection could not be set up; the message says what to install or set."""


def extension_directory() -> Path:
    """Where duckdb-ext-httpfs put the httpfs binary, laid out as DuckDB's extension directory."""
    spec = importlib.util.find_spec("duckdb_ext")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / "extensions"
        if candidate.is_dir():
            return candidate
    raise DuckDBSetupError(
        "DuckDB's httpfs extension is missing: install duckdb-ext-httpfs (lakebook[lab])"
    )


def open_connection(
    settings: Settings, *, threads: int | None = None, memory_limit: str | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that reads the lake: httpfs loaded locally, never downloaded."""
    config: dict[str, str | bool | int | float | list[str]] = {
        "extension_directory": str(extension_directory()),
        # Extensions come from the wheel; DuckDB must never try to fetch one at query time.
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
    }
    connection = duckdb.connect(config=config)
    try:
        connection.execute("LOAD httpfs")
        # Remote Parquet is immutable once published: cache its bytes and footers in memory.
        connection.execute("SET enable_external_file_cache = true")
        connection.execute("SET parquet_metadata_cache = true")
        apply_limits(connection, threads=threads, memory_limit=memory_limit)
        if settings.lake_root.startswith("s3://"):
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
    """Sets DuckDB's thread count and memory limit; None keeps DuckDB's default."""
    if threads is not None:
        connection.execute("SET threads = ?", [threads])
    if memory_limit is not None:
        connection.execute("SET memory_limit = ?", [memory_limit])


def create_s3_secret(connection: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """A temporary S3 secret for the lake's endpoint; the keys are bound, never in SQL text."""
    endpoint = urlsplit(settings.s3_url)
    connection.execute(
        f"CREATE OR REPLACE TEMPORARY SECRET {SECRET_NAME} ("
        "TYPE s3, KEY_ID ?, SECRET ?, ENDPOINT ?, REGION ?, URL_STYLE 'path', USE_SSL ?)",
        [
            settings.require_secret("s3_access_key_id"),
            settings.require_secret("s3_secret_access_key"),
            endpoint.netloc,
            settings.s3_region,
            endpoint.scheme == "https",
        ],
    )
