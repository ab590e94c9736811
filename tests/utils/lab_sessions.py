"""Jupyter servers with lakebook's server extension as the panel's tests use them: one per data
dir, Jupyter users as token-authenticated clients (each its own identity, kept in Jupyter's
login cookie), and code run in one of their kernels."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx
from jupyter_client.blocking.client import BlockingKernelClient

from lakebook.cli.stack.services import Service, jupyter_argv
from lakebook.common.api import TokenPair
from lakebook.kernel.credentials import CREDENTIALS_FILE_NAME, save_credentials
from lakebook.kernel.gateway_http import TOKEN_PATH
from tests.utils.ports import HOST, free_port
from tests.utils.services import Gateway

WHOAMI = "from lakebook.kernel.client import connect\nprint(connect().me().name, end='')"


@dataclass(frozen=True)
class Lab:
    url: str
    token: str
    root: Path
    operator: str

    @property
    def kernel_file(self) -> Path:
        return next((self.root / "runtime").glob("lakebook-credentials-*.json"))

    def kernel_files(self) -> list[Path]:
        return list((self.root / "runtime").glob("lakebook-credentials-*.json"))


def jupyter_server(
    root: Path, token: str, gateway_url: str, extra_env: dict[str, str] | None = None
) -> Service:
    """`jupyter server` with lakebook's extension; its data dir and runtime dir under `root`."""
    port = free_port()
    env = {
        "LAKEBOOK_GATEWAY_URL": gateway_url,
        "LAKEBOOK_DATA_DIR": str(root),
        # Where the kernel credential file and kernels' connection files go.
        "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
        **(extra_env or {}),
    }
    return Service(
        name=f"jupyter-{root.name}",
        argv=jupyter_argv("server", HOST, port, token, root),
        ports=(port,),
        health_url=f"http://{HOST}:{port}/api",
        url=f"http://{HOST}:{port}",
        log_file=root / "jupyter.log",
        env=env,
    )


def operator_file(gateway: Gateway, data_dir: Path) -> str:
    """What `lakebook up` leaves: an admin's credential file in the data dir."""
    name, password = gateway.add_user("admin")
    answer = httpx.post(gateway.api(TOKEN_PATH), data={"username": name, "password": password})
    pair = TokenPair.model_validate(answer.raise_for_status().json())
    save_credentials(data_dir / CREDENTIALS_FILE_NAME, gateway.url, name, pair)
    return name


def jupyter_user(lab: Lab, bodies: list[str]) -> httpx.Client:
    """One Jupyter user: token-authenticated, the identity kept in Jupyter's login cookie."""

    def keep(response: httpx.Response) -> None:
        bodies.append(response.read().decode())

    return httpx.Client(
        base_url=f"{lab.url}/lakebook",
        headers={"Authorization": f"token {lab.token}"},
        event_hooks={"response": [keep]},
        timeout=30,
    )


def run_in_kernel(lab: Lab, kernel_id: str, code: str) -> str:
    client = BlockingKernelClient(
        connection_file=str(lab.root / "runtime" / f"kernel-{kernel_id}.json")
    )
    client.load_connection_file()
    client.start_channels()
    output: list[str] = []

    def collect(message: dict[str, object]) -> None:
        content = message["content"]
        if message["header"]["msg_type"] == "stream":  # type: ignore[index]
            output.append(content["text"])  # type: ignore[index]
        elif message["header"]["msg_type"] == "error":  # type: ignore[index]
            output.append(f"{content['ename']}: {content['evalue']}")  # type: ignore[index]

    try:
        client.wait_for_ready(timeout=60)
        client.execute_interactive(code, output_hook=collect, timeout=60)
    finally:
        client.stop_channels()
    return "".join(output)


def sign_in(client: httpx.Client, gateway: Gateway, role: str = "analyst") -> str:
    name, password = gateway.add_user(role)
    answer = client.post("/session", json={"username": name, "password": password})
    assert answer.status_code == 200, answer.text
    return name
