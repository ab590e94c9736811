"""Starts the embedded services in order, restarts those that crash, and stops every one."""

from __future__ import annotations

import errno
import logging
import os
import random
import signal
import socket
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
import psutil

from lakebook.cli.console import Console
from lakebook.cli.stack.restarts import RestartHistory, RestartPolicy
from lakebook.cli.stack.services import GRPC_OFFSET, Service, wait_interval
from lakebook.common.private_files import write_private_json

logger = logging.getLogger(__name__)

# How long stop_all waits for a killed group's last members to be gone.
GROUP_EXIT_SECONDS = 5.0
# Test fixtures and benchmarks start services without watching them: a crash there is news.
NO_RESTARTS = RestartPolicy(limit=0, window_seconds=1.0)


class StackError(RuntimeError):
    """A one-line reason the stack cannot start or keep running."""


@dataclass
class RunningService:
    service: Service
    process: subprocess.Popen[bytes]
    log: IO[bytes]


def port_in_use(host: str, port: int) -> bool:
    """True when a server already listens on host:port (bind fails the way the service's would)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return True
            raise
    return False


class PortPicker:
    """Hands out free loopback ports of a range, each with its SeaweedFS gRPC twin (port +
    10000) free too, and never the same one twice (tests and benchmarks start many services).

    Tried in random order: other checkouts' tests and benchmarks run on the same machine, and
    two processes scanning upwards from one start pick the same ports between check and bind.
    A private generator: it must not disturb the global `random` state Hypothesis seeds."""

    def __init__(self, host: str, ports: range) -> None:
        self.host, self.ports = host, ports
        self._handed_out: set[int] = set()
        self._random = random.Random()

    def __call__(self) -> int:
        for port in self._random.sample(self.ports, min(500, len(self.ports))):
            if port in self._handed_out:
                continue
            if port_in_use(self.host, port) or port_in_use(self.host, port + GRPC_OFFSET):
                continue
            self._handed_out.add(port)
            return port
        raise RuntimeError(f"no free port pair found on {self.host}")


class Supervisor:
    """Owns the child processes of `lakebook up`; each runs in its own process group."""

    def __init__(
        self,
        console: Console,
        host: str,
        state_file: Path,
        restart_policy: RestartPolicy = NO_RESTARTS,
    ) -> None:
        self.console = console
        self.host = host
        self.state_file = state_file
        self.restart_policy = restart_policy
        self.running: list[RunningService] = []
        self.restarts: dict[str, RestartHistory] = {}
        # Crashed services waiting out their back-off: when each is due to start again.
        self.restart_due: dict[str, float] = {}

    def preflight(self, services: list[Service], port_variables: Mapping[int, str]) -> None:
        """Checks every port before starting anything, so a clash costs nothing to undo; the
        message names the setting the port comes from (`port_variables`)."""
        for service in services:
            for port in service.ports:
                if port_in_use(self.host, port):
                    variable = port_variables.get(port)
                    source = f" ({variable})" if variable else ""
                    remedy = (
                        f"set {variable.split(' + ')[0]} to another port"
                        if variable
                        else "choose another port"
                    )
                    raise StackError(
                        f"{service.name}: port {port}{source} on {self.host} is already in use "
                        f"(another lakebook or another program?); free it or {remedy}"
                    )

    def start_all(self, services: list[Service]) -> None:
        for service in services:
            self.start(service)

    def start(self, service: Service) -> None:
        self.console.starting(service.name)
        began = time.monotonic()
        self.running.append(self._spawn(service))
        self.restarts[service.name] = RestartHistory(self.restart_policy)
        self._write_state()
        self._wait_healthy(self.running[-1], began)
        self.console.ready(service.name, time.monotonic() - began, service.url)

    def _spawn(self, service: Service) -> RunningService:
        service.log_file.parent.mkdir(parents=True, exist_ok=True)
        log = service.log_file.open("ab")
        try:
            process = subprocess.Popen(
                service.argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **service.env},
                # Own process group: Ctrl-C reaches only us, and we can stop the whole group.
                start_new_session=True,
            )
        except OSError as error:
            log.close()
            raise StackError(f"{service.name}: cannot start {service.argv[0]}: {error}") from error
        return RunningService(service, process, log)

    def _wait_healthy(self, running: RunningService, began: float) -> None:
        service, process = running.service, running.process
        deadline = began + service.startup_timeout
        last_problem = "no answer yet"
        with httpx.Client(timeout=2.0, trust_env=False) as client:
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    raise StackError(
                        f"{service.name} exited with code {process.returncode} while starting; "
                        f"see {service.log_file}"
                    )
                try:
                    url = service.health_url
                    status = None if url is None else client.get(url).status_code
                    if status is None or status < 500:
                        if service.ready_check is not None:
                            service.ready_check()
                        return
                    last_problem = f"HTTP {status}"
                except (httpx.HTTPError, RuntimeError) as error:
                    last_problem = str(error) or type(error).__name__
                time.sleep(wait_interval(began))
        raise StackError(
            f"{service.name} did not become healthy within {service.startup_timeout:.0f} s "
            f"({last_problem}); see {service.log_file}"
        )

    def watch(self, poll_seconds: float = 0.5) -> None:
        """Restarts each service that exits, after its back-off, until one exits once more than
        the restart policy allows: then raises StackError naming it. Lab is restarted like the
        rest, and nothing else is stopped while a service is down: its dependents keep its URL
        (same ports) and answer 503 or retry until it is back."""
        while True:
            for index, running in enumerate(self.running):
                code = running.process.poll()
                if code is None:
                    continue
                due = self.restart_due.get(running.service.name)
                if due is None:
                    self._schedule_restart(running, code)
                elif time.monotonic() >= due:
                    self._restart(index)
            time.sleep(poll_seconds)

    def _schedule_restart(self, running: RunningService, code: int) -> None:
        service = running.service
        delay = self.restarts[service.name].next_delay(time.monotonic())
        if delay is None:
            policy = self.restart_policy
            plural = "s" if policy.limit > 1 else ""
            tried = (
                f" after {policy.limit} restart{plural} within {policy.window_seconds:.0f} s"
                if policy.limit
                else ""
            )
            raise StackError(
                f"{service.name} stopped unexpectedly with code {code}{tried}; "
                f"see {service.log_file}"
            )
        # What the leader leaves behind (uvicorn's workers, a flow run) would keep the ports
        # the restarted service needs, and run on unsupervised.
        _signal_group(running.process, signal.SIGKILL)
        number = self.restarts[service.name].total + 1
        self.console.note(
            f"{service.name} exited with code {code}; restart {number} in {delay:.1f} s "
            f"(see {service.log_file})"
        )
        self.restart_due[service.name] = time.monotonic() + delay
        self._write_state()

    def _restart(self, index: int) -> None:
        """Starts a crashed service again, on its ports; a restart that fails to come up
        counts as one more crash (the next pass of watch schedules it)."""
        crashed = self.running[index]
        service = crashed.service
        del self.restart_due[service.name]
        self.restarts[service.name].record(time.monotonic())
        _wait_ports_free(self.host, service.ports, GROUP_EXIT_SECONDS)
        crashed.log.close()
        began = time.monotonic()
        self.running[index] = restarted = self._spawn(service)
        self._write_state()
        try:
            self._wait_healthy(restarted, began)
        except StackError as error:
            self.console.note(str(error))
            _signal_group(restarted.process, signal.SIGKILL)
            restarted.process.wait()
            return
        self.console.ready(service.name, time.monotonic() - began, service.url)

    def stop_all(self) -> None:
        """Stops services last-started first, so nothing outlives what it depends on: TERM the
        group, wait out its grace period, then KILL whatever is left of the group."""
        while self.running:
            running = self.running[-1]
            # Known before the leader goes: its children are orphaned (and harder to find) after.
            members = _group_members(running.process)
            _signal_group(running.process, running.service.stop_signal)
            try:
                running.process.wait(timeout=running.service.stop_timeout)
            except subprocess.TimeoutExpired:
                service = running.service
                logger.warning("%s ignored %s; killing it", service.name, service.stop_signal.name)
            # Kill the group either way: grandchildren (flow runs, kernels) may outlive the leader.
            _signal_group(running.process, signal.SIGKILL)
            running.process.wait()
            # A KILL is delivered asynchronously: the ports and files are only free once every
            # member of the group is gone, not just the leader this process waits for.
            _wait_gone(members, GROUP_EXIT_SECONDS)
            running.log.close()
            self.running.pop()
            self.console.stopped(running.service.name)
            self._write_state()
        self.state_file.unlink(missing_ok=True)

    def _write_state(self) -> None:
        state: dict[str, Any] = {
            "pid": os.getpid(),
            "services": [
                {
                    "name": r.service.name,
                    "pid": r.process.pid,
                    "url": r.service.url,
                    "health_url": r.service.health_url,
                    "log_file": str(r.service.log_file),
                    "restarts": self.restarts[r.service.name].total,
                    "restarting": r.service.name in self.restart_due,
                }
                for r in self.running
            ],
        }
        # Private: the Lab URL in it carries the Jupyter token.
        write_private_json(self.state_file, state)


def _group_members(process: subprocess.Popen[bytes]) -> list[psutil.Process]:
    """The leader's descendants still in its process group (what a signal to the group hits)."""
    try:
        descendants = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    members = []
    for descendant in descendants:
        try:
            if os.getpgid(descendant.pid) == process.pid:
                members.append(descendant)
        except ProcessLookupError:
            pass
    return members


def _wait_ports_free(host: str, ports: tuple[int, ...], timeout: float) -> None:
    """Waits, at most `timeout` seconds, until nothing listens on the ports any more (a killed
    group's sockets close as its members go); a port still taken then fails the restart."""
    deadline = time.monotonic() + timeout
    while any(port_in_use(host, port) for port in ports) and time.monotonic() < deadline:
        time.sleep(0.05)


def _wait_gone(processes: list[psutil.Process], timeout: float) -> None:
    """Waits, at most `timeout` seconds, until each process has exited (a zombie counts: its
    parent, not this process, reaps it)."""
    deadline = time.monotonic() + timeout
    while any(_is_alive(process) for process in processes) and time.monotonic() < deadline:
        time.sleep(0.02)


def _is_alive(process: psutil.Process) -> bool:
    try:
        return bool(process.is_running() and process.status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def _signal_group(process: subprocess.Popen[bytes], signum: signal.Signals) -> None:
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass
