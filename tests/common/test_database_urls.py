"""Database URLs in the settings: PostgreSQL ones given each part's driver, bad ones refused
naming the variable, passwords never shown."""

from __future__ import annotations

import pytest

from lakebook.common.database_urls import postgres_url, redact_url
from lakebook.common.settings import Settings, SettingsError, load_settings


@pytest.mark.parametrize(
    ("given", "driver", "expected"),
    [
        ("postgresql://u:p@db:5432/prefect", "asyncpg", "postgresql+asyncpg://u:p@db:5432/prefect"),
        ("postgres://u:p@db/prefect", "asyncpg", "postgresql+asyncpg://u:p@db/prefect"),
        ("postgresql+psycopg://u@db/users?sslmode=require", "psycopg", None),
        ("postgresql://db/users", "psycopg", "postgresql+psycopg://db/users"),
    ],
)
def test_postgres_urls_get_the_driver_of_their_part(
    given: str, driver: str, expected: str | None
) -> None:
    assert postgres_url(given, driver) == (expected or given)


@pytest.mark.parametrize(
    ("given", "driver", "message"),
    [
        ("postgresql+psycopg://db/prefect", "asyncpg", "driver: none or asyncpg"),
        ("mysql://db/prefect", "asyncpg", "must be a PostgreSQL URL"),
        ("postgresql://db:54x2/prefect", "asyncpg", "invalid port in 'db:54x2'"),
        ("postgresql://u:p@db", "asyncpg", "needs a host and a database name"),
        ("postgresql:///prefect", "asyncpg", "needs a host and a database name"),
    ],
)
def test_bad_postgres_urls_say_what_is_wrong(given: str, driver: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        postgres_url(given, driver)


def test_passwords_are_redacted() -> None:
    assert redact_url("postgresql+psycopg://u:s3cret@db/x") == "postgresql+psycopg://u:***@db/x"
    assert redact_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"


def test_settings_pick_the_prefect_database() -> None:
    assert not Settings().prefect.on_postgres
    embedded = Settings(prefect_db="postgres").prefect
    assert (embedded.on_postgres, embedded.embedded_postgres) == (True, True)
    given = Settings(prefect_database_url="postgres://u:p@db/prefect").prefect
    assert (given.on_postgres, given.embedded_postgres) == (True, False)
    assert given.database_url == "postgresql+asyncpg://u:p@db/prefect"
    gateway = Settings(database_url="postgresql://u:p@db/users").gateway
    assert gateway.database == "postgresql+psycopg://u:p@db/users"


def test_a_bad_database_url_names_its_variable_without_the_password() -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(database_url="oracle://u:t0p-secret@db/users")
    assert str(raised.value).startswith("LAKEBOOK_DATABASE_URL: ")
    assert "t0p-secret" not in str(raised.value)
    with pytest.raises(SettingsError, match="LAKEBOOK_PREFECT_DATABASE_URL is set but"):
        load_settings(prefect_db="sqlite", prefect_database_url="postgresql://db/prefect")
