"""The gateway's database: one engine per URL, migrated to the newest schema on first use."""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from lakebook.common.database_urls import redact_url

MIGRATIONS = Path(__file__).with_name("migrations")
# Any constant both racers agree on: the key of PostgreSQL's advisory lock for migrations.
MIGRATION_LOCK_KEY = 0x1A4EB00C
CONNECT_TIMEOUT_SECONDS = 10
# Alembic keeps the running migration in module globals (`alembic.context`, `alembic.op`):
# two threads migrating at once clobber each other's (`KeyError: 'script'`, seen on the first
# requests after a restart), so a process migrates, and builds its engines, one at a time.
_engines_lock = threading.Lock()


def engine_for(url: str) -> Engine:
    """The engine for a database URL, with its schema migrated (once per process)."""
    with _engines_lock:
        return _migrated_engine(url)


@cache
def _migrated_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            # More connections than the threadpool has threads: a request waiting for a
            # connection must never hold the thread another needs to give one back.
            pool_size=64,
            max_overflow=0,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
    elif url.startswith("postgresql"):
        # libpq waits for ever on a host that drops packets: give up, and say so, instead.
        engine = create_engine(
            url, pool_pre_ping=True, connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS}
        )
    else:
        engine = create_engine(url, pool_pre_ping=True)
    migrate(engine)
    return engine


def migrate(engine: Engine) -> None:
    """Alembic `upgrade head` on this engine, safe to race: gateways (or their workers)
    starting at once on one fresh database each took the empty schema for theirs and both ran
    `CREATE TABLE` (`table users already exists`). One migrates; the others wait, then find
    the schema at head and do nothing."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with _across_processes(engine), engine.begin() as connection:
        _lock_in_database(connection)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@contextmanager
def _across_processes(engine: Engine) -> Iterator[None]:
    """SQLite runs DDL outside transactions (pysqlite's default), so a file lock beside the
    database serialises migrations instead; an in-memory database has no one to race."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate.lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _lock_in_database(connection: Connection) -> None:
    """PostgreSQL's DDL is transactional: an advisory lock held to the commit serialises the
    migrations of every process on that server."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})


@cache
def _session_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(engine_for(url), expire_on_commit=False)


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """A session that commits when the block succeeds and rolls back when it raises."""
    with _session_factory(url).begin() as session:
        yield session


def one_line(error: BaseException) -> str:
    """A driver's message on one line (libpq's runs over several lines, with hints)."""
    text = " ".join(line.strip() for line in str(error).splitlines() if line.strip())
    return text or type(error).__name__


def database_error(url: str, error: SQLAlchemyError) -> str:
    """One line for a database that cannot be used: its URL without the password, the driver's
    reason without SQLAlchemy's statement and background link, and the variable to fix."""
    reason = one_line(getattr(error, "orig", None) or error)
    return f"cannot use the gateway database {redact_url(url)} (LAKEBOOK_DATABASE_URL): {reason}"


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry) -> None:
    # WAL lets the CLI add users while the gateway serves; foreign keys are off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
