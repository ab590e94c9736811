"""The kernel's one DuckDB connection: httpfs from the duckdb-extension-httpfs wheel, S3 set up."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from urllib.parse import urlsplit

import duckdb

from lakebook.common.settings import Settings

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
        quoted = str(extension).replace("'", "''")
        connection.execute(f"LOAD '{quoted}'")
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
    """Sets DuckDB's thread count and memory limit; None keeps DuckDB's default."""
    if threads is not None:
        connection.execute("SET threads = ?", [threads])
    if memory_limit is not None:
        connection.execute("SET memory_limit = ?", [memory_limit])


def create_s3_secret(connection: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """A temporary S3 secret for the lake's endpoint; the keys are bound, never in SQL text."""
    endpoint = urlsplit(settings.s3.url)
    connection.execute(
        f"CREATE OR REPLACE TEMPORARY SECRET {SECRET_NAME} ("
        "TYPE s3, KEY_ID ?, SECRET ?, ENDPOINT ?, REGION ?, URL_STYLE 'path', USE_SSL ?)",
        [
            settings.require_secret("s3_access_key_id"),
            settings.require_secret("s3_secret_access_key"),
            endpoint.netloc,
            settings.s3.region,
            endpoint.scheme == "https",
        ],
    )
