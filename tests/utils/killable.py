"""Services of a fault test's own, which it kills by PID (SIGKILL to the whole process group,
as a crash would) and starts again on the same ports and data."""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass

from lakebook.cli.stack.services import Service
from lakebook.cli.stack.supervisor import Supervisor, port_in_use
from lakebook.common.settings import Settings
from tests.utils.ports import HOST
from tests.utils.services import FlowStack
from tests.utils.waiting import wait_until


def kill_service(supervisor: Supervisor, name: str) -> Service:
    """Kills the named service of `supervisor` and forgets it; answers what to start again."""
    (running,) = [r for r in supervisor.running if r.service.name == name]
    os.killpg(running.process.pid, signal.SIGKILL)
    running.process.wait(timeout=30)
    running.log.close()
    supervisor.running.remove(running)
    wait_until(
        lambda: not any(port_in_use(HOST, port) for port in running.service.ports),
        awaiting=f"the killed {name}'s ports to be free",
        timeout=30,
    )
    return running.service


@dataclass(frozen=True)
class Killable:
    """Services under a supervisor of the test's own."""

    supervisor: Supervisor

    def kill(self, name: str) -> Service:
        return kill_service(self.supervisor, name)

    def start(self, service: Service) -> None:
        """Starts a killed service again and waits until it is healthy."""
        self.supervisor.start(service)


@dataclass(frozen=True)
class KillablePrefect(Killable):
    settings: Settings

    @property
    def url(self) -> str:
        return self.settings.prefect.url


@dataclass(frozen=True)
class KillableStack(Killable):
    """A runner and a gateway in front of `prefect`."""

    flows: FlowStack
