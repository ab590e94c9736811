"""Database URLs in lakebook's settings: PostgreSQL ones checked and given the driver each part
uses, and any of them shown without its password."""

from __future__ import annotations

from urllib.parse import urlsplit

POSTGRES_SCHEMES = ("postgresql", "postgres")
# The database and role `lakebook up` creates in the PostgreSQL server it starts itself.
EMBEDDED_POSTGRES_USER = "lakebook"
EMBEDDED_PREFECT_DATABASE = "prefect"
# Prefect replaces this in PREFECT_API_DATABASE_CONNECTION_URL with PREFECT_API_DATABASE_PASSWORD.
PREFECT_DATABASE_PASSWORD = "${PREFECT_API_DATABASE_PASSWORD}"


def postgres_url(value: str, driver: str) -> str:
    """A PostgreSQL URL (`postgresql://user:password@host:5432/db`, `postgres://`, or one
    naming `driver`) with SQLAlchemy's name for the driver (asyncpg for Prefect, psycopg for
    the gateway); a ValueError says what is wrong (the caller names the variable)."""
    parts = urlsplit(value)
    scheme, _, given_driver = parts.scheme.partition("+")
    if scheme not in POSTGRES_SCHEMES or given_driver not in ("", driver):
        raise ValueError(
            "must be a PostgreSQL URL, postgresql://user:password@host:5432/database "
            f"(driver: none or {driver}), got scheme {parts.scheme!r}"
        )
    try:
        parts.port  # noqa: B018 (reading it checks it)
    except ValueError:
        host_and_port = parts.netloc.rpartition("@")[2]
        raise ValueError(f"has an invalid port in {host_and_port!r}") from None
    if not parts.hostname or not parts.path.strip("/"):
        raise ValueError("needs a host and a database name: postgresql://user:password@host/db")
    return parts._replace(scheme=f"postgresql+{driver}").geturl()


def redact_url(url: str) -> str:
    """A database URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)).geturl()
