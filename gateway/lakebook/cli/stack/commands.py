"""`lakebook up` and `lakebook status`: run the embedded stack and report on it."""

from __future__ import annotations

import json
import os
import secrets
import signal
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
from sqlalchemy.exc import SQLAlchemyError

from lakebook.cli.console import Console
from lakebook.cli.stack.bootstrap import (
    ADMIN_USER,
    ensure_admin_user,
    prepare_data_dir,
    write_kernel_credentials,
    write_seaweed_identities,
)
from lakebook.cli.stack.services import plan_stack
from lakebook.cli.stack.supervisor import StackError, Supervisor
from lakebook.common.exit_codes import EXIT_FAILURE, EXIT_OK, EXIT_USAGE
from lakebook.common.settings import Settings, SettingsError


def state_file(settings: Settings) -> Path:
    return settings.data_dir / "run" / "stack.json"


def run_up(settings: Settings, console: Console, *, with_lab: bool, notebook_dir: Path) -> int:
    running_pid = _live_supervisor_pid(settings)
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
        identities = write_seaweed_identities(settings)
        admin_password = ensure_admin_user(settings)
        credentials = write_kernel_credentials(settings)
        lab_token = secrets.token_urlsafe(24)
        services = plan_stack(
            settings,
            identities=identities,
            with_lab=with_lab,
            lab_token=lab_token,
            lab_root=notebook_dir.resolve(),
        )
    except (SettingsError, OSError) as error:
        console.error(str(error))
        return EXIT_FAILURE
    except SQLAlchemyError as error:
        console.error(f"cannot prepare the gateway database: {error}")
        return EXIT_FAILURE

    supervisor = Supervisor(console, settings.stack.host, state_file(settings))
    try:
        supervisor.preflight(services)
    except StackError as error:
        console.error(str(error))
        return EXIT_FAILURE

    signal.signal(signal.SIGTERM, _interrupt)
    console.say(f"lakebook up — data in {settings.data_dir}")
    try:
        supervisor.start_all(services)
        _print_summary(console, settings, admin_password, credentials)
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


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM stops the stack exactly like Ctrl-C does."""
    raise KeyboardInterrupt


def _print_summary(
    console: Console, settings: Settings, admin_password: str | None, credentials: Path
) -> None:
    console.say("")
    console.say(f"lakebook is up. Gateway API docs: {settings.gateway.base_url}/docs")
    if admin_password is not None:
        console.say(f"  admin login (shown once): user {ADMIN_USER!r}, password {admin_password}")
    console.say(f"  kernel token: {credentials}")
    console.say(f"  logs: {settings.data_dir / 'logs'}")
    console.say("Press Ctrl-C to stop.")


def _read_state(settings: Settings) -> dict[str, Any] | None:
    try:
        state: dict[str, Any] = json.loads(state_file(settings).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return state


def _live_supervisor_pid(settings: Settings) -> int | None:
    state = _read_state(settings)
    if state is None:
        return None
    pid = int(state["pid"])
    return pid if _process_alive(pid) else None


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run_status(settings: Settings, console: Console) -> int:
    state = _read_state(settings)
    if state is None or not _process_alive(int(state["pid"])):
        console.say(f"lakebook is not running (data dir {settings.data_dir})")
        return EXIT_FAILURE
    all_up = True
    console.say(f"lakebook is running (pid {state['pid']}, data dir {settings.data_dir})")
    with httpx.Client(timeout=2.0, trust_env=False) as client:
        for service in state["services"]:
            healthy = _process_alive(int(service["pid"])) and _answers(
                client, service["health_url"]
            )
            all_up = all_up and healthy
            mark = "up  " if healthy else "DOWN"
            console.say(
                f"  {mark} {service['name']:<8} {service['url']}  (log {service['log_file']})"
            )
    return EXIT_OK if all_up else EXIT_FAILURE


def _answers(client: httpx.Client, url: str) -> bool:
    try:
        return client.get(url).status_code < 500
    except httpx.HTTPError:
        return False
