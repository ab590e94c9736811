"""The gateway's user store on PostgreSQL (LAKEBOOK_DATABASE_URL): migrations racing and run
again, signing in and rotating tokens over HTTP, and `lakebook user …`, on a real server.
(`tests/cli/test_prefect_postgres.py` runs the flows with the gateway's users on it too.)"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from lakebook.common.settings import Settings
from lakebook.gateway.db import MIGRATIONS, migrate, session_scope
from lakebook.gateway.users import create_user
from tests.utils.ports import free_port
from tests.utils.postgres import PostgresServer, libpq_url
from tests.utils.services import Gateway, quiet_supervisor, start_gateway
from tests.utils.waiting import wait_until

LAKEBOOK = [sys.executable, "-m", "lakebook.cli.main"]
RACERS = 4
# Each racer imports the gateway, says so, and migrates when told: the race is on the
# migration, not on how fast each interpreter starts.
MIGRATE_WHEN_TOLD = """
import sys
from lakebook.gateway.db import engine_for
print("ready", flush=True)
sys.stdin.readline()
engine_for(sys.argv[1])
"""


def head_revision() -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def migrate_at_once(url: str, count: int) -> list[subprocess.CompletedProcess[str]]:
    """`count` processes migrating `url` at the same instant, as gateway workers starting on
    one fresh database do."""
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", MIGRATE_WHEN_TOLD, url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    for racer in racers:
        assert racer.stdout is not None
        assert racer.stdout.readline() == "ready\n", racer.communicate(timeout=60)[1]
    for racer in racers:
        assert racer.stdin is not None
        racer.stdin.write("go\n")
        racer.stdin.flush()
    done = []
    for racer in racers:
        stdout, stderr = racer.communicate(timeout=120)
        done.append(subprocess.CompletedProcess(racer.args, racer.returncode, stdout, stderr))
    return done


def lakebook(database_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEBOOK_")}
    env["LAKEBOOK_DATABASE_URL"] = database_url
    return subprocess.run(
        [*LAKEBOOK, *args], env=env, input=stdin, capture_output=True, text=True, check=False
    )


def test_migrations_race_safely_and_run_again(postgres_server: PostgresServer) -> None:
    url = postgres_server.new_database("migrations")
    gateway_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    for racer in migrate_at_once(gateway_url, RACERS):
        assert racer.returncode == 0, racer.stderr
    assert postgres_server.query(url, "SELECT version_num FROM alembic_version") == [
        (head_revision(),)
    ]
    # The next start migrates again, with nothing to do: a user added in between is kept.
    with session_scope(gateway_url) as session:
        create_user(session, "kept", "viewer", "a-long-password-kept")
    engine = create_engine(gateway_url)
    try:
        migrate(engine)
    finally:
        engine.dispose()
    assert postgres_server.query(url, "SELECT version_num FROM alembic_version") == [
        (head_revision(),)
    ]
    assert postgres_server.query(url, "SELECT name, role FROM users") == [("kept", "viewer")]


@pytest.fixture(scope="module")
def postgres_gateway(
    postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Gateway]:
    """A gateway whose users are in PostgreSQL (no Prefect or S3 needed to sign in)."""
    data_dir = tmp_path_factory.mktemp("postgres-gateway")
    jwt_secret = secrets.token_urlsafe(32)
    settings = Settings(
        data_dir=data_dir,
        gateway_port=free_port(),
        jwt_secret=jwt_secret,
        database_url=postgres_server.new_database("users"),
    )
    supervisor = quiet_supervisor(data_dir / "stack.json")
    try:
        yield Gateway(start_gateway(supervisor, settings, jwt_secret=jwt_secret), settings)
    finally:
        supervisor.stop_all()


def test_sign_in_refresh_and_disable_on_postgres(postgres_gateway: Gateway) -> None:
    gateway = postgres_gateway
    database = gateway.settings.gateway.database
    assert database.startswith("postgresql+psycopg://")
    added = lakebook(
        database, "user", "add", "pg_ana", "--role", "analyst", "--password-stdin",
        stdin="a-long-password-on-postgres\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    signed_in = httpx.post(
        gateway.api("/auth/token"),
        data={"username": "pg_ana", "password": "a-long-password-on-postgres"},
        timeout=30,
    )
    assert signed_in.status_code == 200, signed_in.text
    pair = signed_in.json()
    bearer = {"Authorization": f"Bearer {pair['access_token']}"}
    me = httpx.get(gateway.api("/auth/me"), headers=bearer, timeout=30)
    assert (me.json()["name"], me.json()["role"]) == ("pg_ana", "analyst")

    def refresh(token: str) -> httpx.Response:
        return httpx.post(gateway.api("/auth/refresh"), json={"refresh_token": token}, timeout=30)

    rotated = refresh(pair["refresh_token"])
    assert rotated.status_code == 200, rotated.text
    # Spent once: reusing it revokes the family, the rotated token included.
    assert refresh(pair["refresh_token"]).status_code == 401
    assert refresh(rotated.json()["refresh_token"]).status_code == 401

    listed = lakebook(libpq_url(database), "user", "list")
    assert listed.returncode == 0, listed.stderr
    assert ["pg_ana", "analyst", "active"] in [line.split() for line in listed.stdout.splitlines()]
    assert lakebook(database, "user", "disable", "pg_ana").returncode == 0
    refused = httpx.post(
        gateway.api("/auth/token"),
        data={"username": "pg_ana", "password": "a-long-password-on-postgres"},
        timeout=30,
    )
    # As a wrong password is answered: no oracle for whether the password was right.
    assert refused.status_code == 401
    wait_until(
        lambda: httpx.get(gateway.api("/auth/me"), headers=bearer, timeout=30).status_code == 401,
        awaiting="the disabled user's token to be refused",
        timeout=30,
    )


def test_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    """The CLI and the gateway say which database they cannot reach (without its password)
    in one line; the gateway stops at start with exit code 2."""
    url = f"postgresql://lakebook:hush-hush-password@127.0.0.1:{free_port()}/gateway"
    listed = lakebook(url, "user", "list")
    assert listed.returncode == 1
    [line] = listed.stderr.splitlines()
    assert line.startswith("lakebook: error: cannot use the gateway database ")
    assert "(LAKEBOOK_DATABASE_URL): " in line
    assert "Connection refused" in line
    assert "hush-hush" not in line

    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEBOOK_")}
    env |= {"LAKEBOOK_DATABASE_URL": url, "LAKEBOOK_DATA_DIR": str(tmp_path)}
    env["LAKEBOOK_JWT_SECRET"] = "a-real-enough-secret-for-this-test"
    argv = [sys.executable, "-m", "uvicorn", "--factory", "lakebook.gateway.main:create_app"]
    argv += ["--host", "127.0.0.1", "--port", str(free_port())]
    gateway = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    assert gateway.returncode == 2, gateway.stderr
    assert "cannot use the gateway database" in gateway.stderr
    assert "Traceback" not in gateway.stderr
    assert "hush-hush" not in gateway.stderr
