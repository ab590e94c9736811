"""`lakebook status`: which services of a running `lakebook up` answer (imports no server code:
it runs in well under a second)."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import httpx

from lakebook.cli.console import Console
from lakebook.cli.stack.state import process_alive, read_state
from lakebook.common.exit_codes import EXIT_FAILURE, EXIT_OK
from lakebook.common.settings import Settings


def run_status(settings: Settings, console: Console) -> int:
    state = read_state(settings)
    if state is None or not process_alive(int(state["pid"])):
        console.say(f"lakebook is not running (data dir {settings.data_dir})")
        return EXIT_FAILURE
    all_up = True
    console.say(f"lakebook is running (pid {state['pid']}, data dir {settings.data_dir})")
    with httpx.Client(timeout=2.0, trust_env=False) as client:
        for service in state["services"]:
            healthy = process_alive(int(service["pid"])) and _answers(
                client, service["health_url"], service["url"]
            )
            all_up = all_up and healthy
            mark = "up  " if healthy else "DOWN"
            # Written by the supervisor since it restarts crashed services; absent before.
            restarts = f"restarts {service.get('restarts', 0)}"
            if service.get("restarting"):
                restarts += ", restarting"
            console.say(
                f"  {mark} {service['name']:<8} {service['url']}  {restarts}  "
                f"(log {service['log_file']})"
            )
    return EXIT_OK if all_up else EXIT_FAILURE


def _answers(client: httpx.Client, url: str | None, service_url: str) -> bool:
    """Whether the health URL answers; a service without one (PostgreSQL) must take a TCP
    connection on its URL's port."""
    if url is None:
        address = urlsplit(service_url)
        try:
            with socket.create_connection((address.hostname, address.port), timeout=2.0):
                return True
        except OSError:
            return False
    try:
        return client.get(url).status_code < 500
    except httpx.HTTPError:
        return False
