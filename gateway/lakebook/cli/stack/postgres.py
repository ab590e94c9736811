"""The PostgreSQL server `lakebook up --prefect-db postgres` runs Prefect on: Debian's
`postgresql` binaries, a cluster in `{data dir}/postgres`, loopback TCP with password
(SCRAM) authentication and a private socket folder; and the reachability check of a server of
your own (LAKEBOOK_PREFECT_DATABASE_URL)."""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

from lakebook.cli.stack.services import Service
from lakebook.common.database_urls import (
    EMBEDDED_POSTGRES_USER,
    EMBEDDED_PREFECT_DATABASE,
    redact_url,
)
from lakebook.common.settings import Settings
from lakebook.gateway.db import one_line

# Where Debian's `postgresql-NN` packages put the server binaries (several versions may sit
# side by side: the newest is used).
DEBIAN_POSTGRES_BINARIES = Path("/usr/lib/postgresql")
# PostgreSQL refuses to run as root; as root, the server runs as this unprivileged user,
# which Debian's package creates.
SERVER_USER = "postgres"
# A Unix socket's path must fit in sockaddr_un (108 bytes with the final NUL).
MAX_SOCKET_PATH = 107
CONNECT_TIMEOUT_SECONDS = 5


class PostgresError(RuntimeError):
    """A one-line reason PostgreSQL cannot be used, naming what to change."""


def find_binaries() -> Path | None:
    """The folder holding `initdb` and `postgres`: Debian's newest version, else `PATH`'s."""
    versions = sorted(
        (
            folder
            for folder in DEBIAN_POSTGRES_BINARIES.glob("*/bin")
            if folder.parent.name.isdigit()
        ),
        key=lambda folder: int(folder.parent.name),
        reverse=True,
    )
    on_path = shutil.which("initdb")
    if on_path is not None:
        versions.append(Path(on_path).resolve().parent)
    for folder in versions:
        if (folder / "initdb").exists() and (folder / "postgres").exists():
            return folder
    return None


def cluster_root(settings: Settings) -> Path:
    return settings.data_dir / "postgres"


def _data_folder(settings: Settings) -> Path:
    return cluster_root(settings) / "data"


def _socket_folder(settings: Settings) -> Path:
    return cluster_root(settings) / "run"


def _server_user() -> pwd.struct_passwd | None:
    """The user the server runs as when lakebook runs as root (None: run as ourselves)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise PostgresError(
            f"PostgreSQL refuses to run as root and there is no {SERVER_USER!r} user to run it "
            "as (Debian's postgresql package creates it); run lakebook as another user or set "
            "LAKEBOOK_PREFECT_DATABASE_URL to a server of your own"
        ) from None


def _as_server_user(argv: tuple[str, ...]) -> tuple[str, ...]:
    """`argv`, run as the server user when we are root. setpriv execs (unlike runuser, which
    stays as a parent): the supervisor's pid is the postmaster's, and its signals reach it."""
    user = _server_user()
    if user is None:
        return argv
    ids = (f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--init-groups")
    return ("setpriv", *ids, "--", *argv)


def prepare_cluster(settings: Settings) -> None:
    """Creates the cluster on first use (initdb, the `lakebook` role with the generated
    password); checks, every time, that the binaries are there and the server can reach it."""
    binaries = find_binaries()
    if binaries is None:
        raise PostgresError(
            "--prefect-db postgres needs PostgreSQL's server binaries (initdb, postgres), found "
            f"neither under {DEBIAN_POSTGRES_BINARIES}/*/bin nor on PATH: apt-get install "
            "postgresql, or set LAKEBOOK_PREFECT_DATABASE_URL to a server of your own"
        )
    root = cluster_root(settings)
    root.mkdir(mode=0o700, exist_ok=True)
    user = _server_user()
    if user is not None:
        os.chown(root, user.pw_uid, user.pw_gid)
        reachable = subprocess.run(_as_server_user(("test", "-w", str(root))), check=False)
        if reachable.returncode != 0:
            raise PostgresError(
                f"PostgreSQL refuses to run as root, and its user {SERVER_USER!r} cannot reach "
                f"{root} (a folder above it is private): choose a data dir it can enter "
                "(--data-dir /var/lib/lakebook) or set LAKEBOOK_PREFECT_DATABASE_URL"
            )
    socket_folder = _socket_folder(settings)
    socket_folder.mkdir(mode=0o700, exist_ok=True)
    if user is not None:
        os.chown(socket_folder, user.pw_uid, user.pw_gid)
    if (_data_folder(settings) / "PG_VERSION").exists():
        return
    _initdb(settings, binaries, root)


def _initdb(settings: Settings, binaries: Path, root: Path) -> None:
    password_file = root / "initial-password"
    password = settings.require_secret("postgres_password")
    password_file.write_text(password + "\n", encoding="utf-8")
    password_file.chmod(0o600)
    user = _server_user()
    if user is not None:
        os.chown(password_file, user.pw_uid, user.pw_gid)
    argv = (
        str(binaries / "initdb"),
        f"--pgdata={_data_folder(settings)}",
        f"--username={EMBEDDED_POSTGRES_USER}",
        f"--pwfile={password_file}",
        # Password authentication on every connection, the socket's too.
        "--auth=scram-sha-256",
        "--encoding=UTF8",
        # The C locale exists everywhere (a container may have no other); sorting is by bytes.
        "--no-locale",
        "--no-instructions",
    )
    log_file = settings.data_dir / "logs" / "postgres-initdb.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        with log_file.open("wb") as log:
            done = subprocess.run(
                _as_server_user(argv), stdout=log, stderr=subprocess.STDOUT, check=False
            )
    finally:
        password_file.unlink(missing_ok=True)
    if done.returncode != 0:
        raise PostgresError(
            f"initdb failed with code {done.returncode} creating {_data_folder(settings)}; "
            f"see {log_file}"
        )


def postgres_service(settings: Settings) -> Service:
    """The server as a child of the supervisor, stopped with SIGINT (PostgreSQL's fast
    shutdown: SIGTERM would wait for every client to leave)."""
    binaries = find_binaries()
    if binaries is None:  # prepare_cluster said so first
        raise PostgresError("PostgreSQL's server binaries are gone")
    host, port = settings.prefect.host, settings.prefect.postgres_port
    socket_folder = _socket_folder(settings)
    # A folder too deep for a socket path: TCP only (every client here uses TCP anyway).
    socket_path = socket_folder / f".s.PGSQL.{port}"
    sockets = str(socket_folder) if len(str(socket_path)) <= MAX_SOCKET_PATH else ""
    argv = (
        str(binaries / "postgres"),
        "-D", str(_data_folder(settings)),
        "-c", f"listen_addresses={host}",
        "-c", f"port={port}",
        "-c", f"unix_socket_directories={sockets}",
        "-c", "unix_socket_permissions=0700",
        # Prefect's services and pool, the gateway and the CLI stay far below this.
        "-c", "max_connections=100",
    )  # fmt: skip
    return Service(
        name="postgres",
        argv=_as_server_user(argv),
        ports=(port,),
        health_url=None,
        url=f"postgresql://{host}:{port}",
        log_file=settings.data_dir / "logs" / "postgres.log",
        startup_timeout=60.0,
        stop_timeout=20.0,
        stop_signal=signal.SIGINT,
        ready_check=lambda: create_database(
            settings.prefect.postgres_server_url("postgres"), EMBEDDED_PREFECT_DATABASE
        ),
    )


def create_database(server_url: str, name: str) -> None:
    """Creates database `name` unless it exists; a RuntimeError while the server does not
    accept connections yet (the supervisor's readiness loop asks again)."""
    import psycopg
    from psycopg import sql

    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"not a plain database name: {name!r}")
    try:
        with psycopg.connect(
            server_url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS
        ) as connection:
            found = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if found is None:
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.OperationalError as error:
        raise RuntimeError(one_line(error)) from error


def check_reachable(url: str, variable: str) -> None:
    """Connects once to a PostgreSQL URL (any SQLAlchemy driver name in it is dropped), so a
    wrong one is said before anything starts: a PostgresError naming the variable."""
    import psycopg

    parts = urlsplit(url)
    libpq_url = parts._replace(scheme=parts.scheme.partition("+")[0]).geturl()
    try:
        with psycopg.connect(libpq_url, connect_timeout=CONNECT_TIMEOUT_SECONDS):
            pass
    except psycopg.Error as error:
        raise PostgresError(
            f"{variable}: cannot connect to {redact_url(url)}: {one_line(error)}; "
            "start that server or fix the URL"
        ) from error
