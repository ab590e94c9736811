"""`lakebook up`: run the embedded stack until Ctrl-C or SIGTERM."""

from __future__ import annotations

import secrets
import signal
from pathlib import Path
from types import FrameType

from sqlalchemy.exc import SQLAlchemyError

from lakebook.cli.console import Console
from lakebook.cli.defaults import ADMIN_USER
from lakebook.cli.stack.bootstrap import (
    ensure_admin_user,
    operator_credentials,
    prepare_data_dir,
    write_seaweed_identities,
)
from lakebook.cli.stack.dashboard import dashboard_url
from lakebook.cli.stack.postgres import PostgresError, check_reachable, prepare_cluster
from lakebook.cli.stack.restarts import RestartPolicy
from lakebook.cli.stack.services import plan_stack, port_variables
from lakebook.cli.stack.state import live_supervisor_pid, state_file
from lakebook.cli.stack.supervisor import StackError, Supervisor
from lakebook.common.exit_codes import EXIT_FAILURE, EXIT_OK, EXIT_USAGE
from lakebook.common.settings import Settings, SettingsError
from lakebook.gateway.db import database_error


def run_up(settings: Settings, console: Console, *, with_lab: bool, notebook_dir: Path) -> int:
    running_pid = live_supervisor_pid(settings)
    if running_pid is not None:
        console.error(
            f"lakebook is already running (pid {running_pid}) with data in {settings.data_dir}; "
            "stop it first"
        )
        return EXIT_FAILURE
    if with_lab and not notebook_dir.is_dir():
        console.error(f"--notebook-dir {notebook_dir} is not a folder")
        return EXIT_USAGE
    try:
        settings = prepare_data_dir(settings)
        # The runner reads notebooks to run from JupyterLab's root (LAKEBOOK_NOTEBOOK_DIR).
        settings = settings.with_values(notebook_dir=notebook_dir.resolve())
        check_databases(settings)
        identities = write_seaweed_identities(settings)
        admin_password = ensure_admin_user(settings)
        credentials = operator_credentials(settings)
        lab_token = secrets.token_urlsafe(24)
        services = plan_stack(
            settings,
            identities=identities,
            with_lab=with_lab,
            lab_token=lab_token,
            lab_root=notebook_dir.resolve(),
        )
    except (SettingsError, PostgresError) as error:
        console.error(str(error))
        return EXIT_USAGE
    except OSError as error:
        console.error(str(error))
        return EXIT_FAILURE
    except SQLAlchemyError as error:
        console.error(database_error(settings.gateway.database, error))
        return EXIT_USAGE

    restart_policy = RestartPolicy(
        settings.stack.restart_limit, settings.stack.restart_window_seconds
    )
    supervisor = Supervisor(console, settings.stack.host, state_file(settings), restart_policy)
    try:
        supervisor.preflight(services, port_variables(settings))
    except StackError as error:
        console.error(str(error))
        return EXIT_FAILURE

    # SIGINT explicitly too: Python leaves it ignored when the parent ignored it (nohup, `&` in
    # a non-interactive shell, some service managers), and Ctrl-C must stop the stack anyway.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    console.say(f"lakebook up — data in {settings.data_dir}")
    try:
        supervisor.start_all(services)
        dashboard = dashboard_url(settings, lab_token, notebook_dir) if with_lab else None
        _print_summary(console, settings, admin_password, credentials, dashboard)
        supervisor.watch()
    except StackError as error:
        console.error(str(error))
        return EXIT_FAILURE
    except KeyboardInterrupt:
        console.say("\nstopping lakebook (SeaweedFS can take up to 20 s) …")
        return EXIT_OK
    finally:
        # A second Ctrl-C must not abandon the shutdown half-way and leave orphans behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        supervisor.stop_all()
    return EXIT_OK


def check_databases(settings: Settings) -> None:
    """Said before anything starts: a PostgreSQL server of your own that does not answer, or
    the embedded one's binaries and cluster (created on first use)."""
    if settings.prefect.database_url is not None:
        check_reachable(settings.prefect.database_url, "LAKEBOOK_PREFECT_DATABASE_URL")
    elif settings.prefect.embedded_postgres:
        prepare_cluster(settings)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGINT and SIGTERM stop the stack alike."""
    raise KeyboardInterrupt


def _print_summary(
    console: Console,
    settings: Settings,
    admin_password: str | None,
    credentials: Path | None,
    dashboard: str | None,
) -> None:
    console.say("")
    console.say(f"lakebook is up. Gateway API docs: {settings.gateway.base_url}/docs")
    if admin_password is not None:
        console.say(f"  admin login (shown once): user {ADMIN_USER!r}, password {admin_password}")
    if credentials is None:
        console.say("  multi-user: no operator token for kernels; each person signs in")
    else:
        console.say(f"  kernel token: {credentials}")
    console.say(f"  logs: {settings.data_dir / 'logs'}")
    if dashboard is not None:
        console.say(f"  dashboard (Voila, in JupyterLab): {dashboard}")
    console.say("Press Ctrl-C to stop.")
