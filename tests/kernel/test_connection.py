"""The kernel's DuckDB connection: httpfs from the wheel, caches on, limits applied."""

from __future__ import annotations

import duckdb

from lakebook.common.settings import Settings
from lakebook.kernel.connection import httpfs_extension_path, open_connection


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


def test_s3_secret_binds_the_keys(local_settings: Settings) -> None:
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
