"""`lakebook up --prefect-db postgres` refusing what cannot work, in one line and before it
starts anything: a malformed or unreachable server URL, conflicting settings, a missing
PostgreSQL, a data dir the server's user cannot enter."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from lakebook.cli.stack import postgres
from lakebook.cli.stack.postgres import PostgresError, find_binaries, prepare_cluster
from lakebook.common.settings import Settings
from tests.utils.ports import free_port, stack_port_env

# Runs the `lakebook` command as processes (seconds each).
pytestmark = pytest.mark.services

LAKEBOOK = [sys.executable, "-m", "lakebook.cli.main"]
SECRET = "hush-hush-password"


def up(data_dir: Path, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAKEBOOK_", "PREFECT_"))}
    env |= stack_port_env() | {"LAKEBOOK_DATA_DIR": str(data_dir)} | variables
    return subprocess.run(
        [*LAKEBOOK, "up", "--no-lab", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("args", "variables", "message"),
    [
        pytest.param(
            ("--prefect-db", "postgres"),
            {"LAKEBOOK_PREFECT_DATABASE_URL": f"postgresql://lakebook:{SECRET}@db:port/prefect"},
            "LAKEBOOK_PREFECT_DATABASE_URL: Value error, has an invalid port in 'db:port'",
            id="bad-port",
        ),
        pytest.param(
            (),
            {"LAKEBOOK_PREFECT_DATABASE_URL": f"mysql://lakebook:{SECRET}@db/prefect"},
            "LAKEBOOK_PREFECT_DATABASE_URL: Value error, must be a PostgreSQL URL",
            id="not-postgres",
        ),
        pytest.param(
            (),
            {"LAKEBOOK_PREFECT_DATABASE_URL": "postgresql://db"},
            "needs a host and a database name",
            id="no-database",
        ),
        pytest.param(
            ("--prefect-db", "sqlite"),
            {"LAKEBOOK_PREFECT_DATABASE_URL": "postgresql://db/prefect"},
            "LAKEBOOK_PREFECT_DATABASE_URL is set but LAKEBOOK_PREFECT_DB is sqlite",
            id="conflict",
        ),
        pytest.param(
            (),
            {"LAKEBOOK_DATABASE_URL": f"postgresql+asyncpg://lakebook:{SECRET}@db/gateway"},
            "LAKEBOOK_DATABASE_URL: Value error, must be a PostgreSQL URL",
            id="gateway-async-driver",
        ),
        pytest.param(
            (), {"LAKEBOOK_PREFECT_DB": "oracle"}, "LAKEBOOK_PREFECT_DB: Input should be", id="db"
        ),
    ],
)
def test_malformed_settings_exit_2_in_one_line(
    tmp_path: Path, args: tuple[str, ...], variables: dict[str, str], message: str
) -> None:
    done = up(tmp_path / "data", *args, **variables)
    assert done.returncode == 2, done.stderr
    [line] = done.stderr.splitlines()
    assert message in line
    assert SECRET not in line
    assert not (tmp_path / "data").exists(), "something was started or written"


def test_an_unreachable_server_exits_2_before_anything_starts(tmp_path: Path) -> None:
    url = f"postgresql://lakebook:{SECRET}@127.0.0.1:{free_port()}/prefect"
    done = up(tmp_path / "data", "--prefect-db", "postgres", LAKEBOOK_PREFECT_DATABASE_URL=url)
    assert done.returncode == 2, done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("lakebook: error: LAKEBOOK_PREFECT_DATABASE_URL: cannot connect to ")
    assert "Connection refused" in line
    assert "start that server or fix the URL" in line
    assert SECRET not in line
    assert not (tmp_path / "data" / "logs" / "s3.log").exists()
    assert not (tmp_path / "data" / "run" / "stack.json").exists()


def test_an_unknown_prefect_db_is_a_usage_error(tmp_path: Path) -> None:
    done = up(tmp_path / "data", "--prefect-db", "mongo")
    assert done.returncode == 2
    assert "invalid choice: 'mongo'" in done.stderr


def test_without_postgresql_binaries_the_fix_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postgres, "DEBIAN_POSTGRES_BINARIES", tmp_path / "none")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_binaries() is None
    settings = Settings(data_dir=tmp_path, prefect_db="postgres", postgres_password=SECRET * 2)
    with pytest.raises(PostgresError, match="apt-get install postgresql, or set LAKEBOOK_PREFECT"):
        prepare_cluster(settings)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs the server as another user")
@pytest.mark.skipif(find_binaries() is None, reason="PostgreSQL is not installed")
def test_as_root_a_data_dir_the_server_user_cannot_enter_is_named(tmp_path: Path) -> None:
    """A folder private to root above the data dir (as /root is): `postgres` cannot enter."""
    tmp_path.chmod(0o700)
    settings = Settings(data_dir=tmp_path / "data", postgres_password=SECRET * 2)
    (tmp_path / "data").mkdir()
    with pytest.raises(PostgresError, match="its user 'postgres' cannot reach") as raised:
        prepare_cluster(settings)
    assert "--data-dir /var/lib/lakebook" in str(raised.value)
    assert not (tmp_path / "data" / "postgres" / "data").exists()


@pytest.mark.skipif(find_binaries() is None, reason="PostgreSQL is not installed")
def test_a_taken_postgres_port_names_its_variable() -> None:
    # Outside pytest's private folder: as root, the `postgres` user creates the cluster here.
    root = Path(tempfile.mkdtemp(prefix="lakebook-port-"))
    os.chmod(root, 0o711)
    port = free_port()
    try:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", port))
            taken.listen()
            done = up(root / "data", "--prefect-db", "postgres", LAKEBOOK_POSTGRES_PORT=str(port))
        assert done.returncode == 1, done.stderr
        [line] = done.stderr.splitlines()
        taken_message = f"postgres: port {port} (LAKEBOOK_POSTGRES_PORT) on 127.0.0.1 is already"
        assert taken_message in line
        assert "set LAKEBOOK_POSTGRES_PORT to another port" in line
    finally:
        shutil.rmtree(root, ignore_errors=True)
