"""A real Jupyter server with lakebook's server extension, for tests that call its REST API."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from lakebook.cli.stack.services import Service, jupyter_argv
from tests.utils.ports import HOST, free_port
from tests.utils.services import quiet_supervisor


@dataclass(frozen=True)
class LabServer:
    url: str
    token: str

    def client(self, *, signed_in: bool = True) -> httpx.Client:
        """A client of `/lakebook/`, with Jupyter's token (or without: a stranger)."""
        headers = {"Authorization": f"token {self.token}"} if signed_in else {}
        return httpx.Client(base_url=f"{self.url}/lakebook/", headers=headers, timeout=30)


@contextmanager
def running_lab_server(root_dir: Path, data_dir: Path, env: dict[str, str]) -> Iterator[LabServer]:
    """`jupyter server` on `root_dir`; its own lakebook data dir, so no credential file of a
    developer's ~/.lakebook is found; `env` says which gateway to call and as whom."""
    token = secrets.token_urlsafe(16)
    port = free_port()
    service = Service(
        name="jupyter",
        argv=jupyter_argv("server", HOST, port, token, root_dir),
        ports=(port,),
        health_url=f"http://{HOST}:{port}/api",
        url=f"http://{HOST}:{port}",
        log_file=data_dir / "jupyter.log",
        env={"LAKEBOOK_DATA_DIR": str(data_dir), **env},
    )
    supervisor = quiet_supervisor(data_dir / "stack.json")
    try:
        supervisor.start(service)
        yield LabServer(service.url, token)
    finally:
        supervisor.stop_all()
