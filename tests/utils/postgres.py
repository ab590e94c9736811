"""A real PostgreSQL server for tests, started the way `lakebook up --prefect-db postgres`
starts its own (lakebook.cli.stack.postgres), and fresh databases on it."""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

from lakebook.cli.stack.postgres import create_database, postgres_service, prepare_cluster
from lakebook.common.settings import Settings
from tests.utils.ports import free_port
from tests.utils.services import quiet_supervisor


@dataclass(frozen=True)
class PostgresServer:
    """A running server; `url(db)` is a libpq URL with the admin role's password."""

    settings: Settings

    def url(self, database: str) -> str:
        return self.settings.prefect.postgres_server_url(database)

    def new_database(self, prefix: str) -> str:
        """A fresh, empty database; returns its URL."""
        name = f"{prefix}_{secrets.token_hex(4)}"
        create_database(self.url("postgres"), name)
        return self.url(name)

    def query(self, url: str, statement: str, *params: object) -> list[tuple[object, ...]]:
        with psycopg.connect(url) as connection:
            return connection.execute(statement, params or None).fetchall()

    def drop_database(self, url: str) -> None:
        name = urlsplit(url).path.lstrip("/")
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """A server on a free loopback port, stopped (SIGINT, then SIGKILL of its process group)
    and removed afterwards. Its data dir is under the system's temporary folder, not pytest's:
    as root the server runs as the `postgres` user, who cannot enter pytest's private folder."""
    root = Path(tempfile.mkdtemp(prefix="lakebook-pg-"))
    # Others may pass through (not list or read): the server's own folder inside stays 0700.
    os.chmod(root, 0o711)
    settings = Settings(
        data_dir=root,
        postgres_port=free_port(),
        postgres_password=secrets.token_urlsafe(24),
    )
    supervisor = quiet_supervisor(root / "stack.json")
    try:
        prepare_cluster(settings)
        supervisor.start(postgres_service(settings))
        yield PostgresServer(settings)
    finally:
        supervisor.stop_all()
        shutil.rmtree(root, ignore_errors=True)


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL (`postgresql+asyncpg://…`) as libpq and psycopg take it."""
    parts = urlsplit(url)
    return parts._replace(scheme=parts.scheme.partition("+")[0]).geturl()
