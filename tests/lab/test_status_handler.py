"""The server extension inside a real Jupyter server, talking to the real gateway over HTTP."""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lakebook.cli.stack.services import Service, gateway_service, jupyter_argv
from lakebook.common.settings import Settings
from tests.utils.ports import HOST, free_port
from tests.utils.services import quiet_supervisor

# Starts Jupyter servers and a gateway, and asks `jupyter` what it has installed.
pytestmark = pytest.mark.services


def jupyter_server(
    root: Path, token: str, gateway_url: str, gateway_token: str | None = None
) -> Service:
    port = free_port()
    # Its own data dir: no credential file from a developer's ~/.lakebook is found.
    env = {"LAKEBOOK_GATEWAY_URL": gateway_url, "LAKEBOOK_DATA_DIR": str(root)}
    if gateway_token is not None:
        env["LAKEBOOK_TOKEN"] = gateway_token
    argv = jupyter_argv("server", HOST, port, token, root)
    return Service(
        name="jupyter",
        argv=argv,
        ports=(port,),
        health_url=f"http://{HOST}:{port}/api",
        url=f"http://{HOST}:{port}",
        log_file=root / "jupyter.log",
        env=env,
    )


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    """A gateway, a Jupyter server that knows it, and one that points at a closed port."""
    root = tmp_path_factory.mktemp("lab")
    token = secrets.token_urlsafe(16)
    gateway = gateway_service(
        Settings(data_dir=root, gateway_port=free_port(), jwt_secret=secrets.token_urlsafe(24))
    )
    supervisor = quiet_supervisor(root / "stack.json")
    try:
        supervisor.start(gateway)
        (root / "up").mkdir()
        (root / "down").mkdir()
        with_gateway = jupyter_server(root / "up", token, gateway.url)
        without_gateway = jupyter_server(
            root / "down", token, f"http://{HOST}:{free_port()}", gateway_token="not-checked"
        )
        supervisor.start(with_gateway)
        supervisor.start(without_gateway)
        yield token, with_gateway.url, without_gateway.url
    finally:
        supervisor.stop_all()


def test_status_reports_a_reachable_gateway(servers: tuple[str, str, str]) -> None:
    token, lab_url, _ = servers
    response = httpx.get(f"{lab_url}/lakebook/status", headers={"Authorization": f"token {token}"})
    assert response.status_code == 200
    body = response.json()
    assert body["gateway_ok"] is True
    assert body["gateway_url"].startswith(f"http://{HOST}:")


def test_status_reports_a_gateway_that_is_down(servers: tuple[str, str, str]) -> None:
    token, _, lab_url = servers
    response = httpx.get(f"{lab_url}/lakebook/status", headers={"Authorization": f"token {token}"})
    assert response.status_code == 200
    assert response.json()["gateway_ok"] is False


def test_status_needs_jupyter_auth_and_answers_json(servers: tuple[str, str, str]) -> None:
    _, lab_url, _ = servers
    response = httpx.get(f"{lab_url}/lakebook/status")
    assert response.status_code == 403
    assert set(response.json()) == {"code", "message"}


def test_prebuilt_labextension_and_server_extension_are_installed() -> None:
    """The install put the built frontend where JupyterLab looks, and enabled lakebook.lab."""
    labextensions = subprocess.run(
        [sys.executable, "-m", "jupyter", "labextension", "list"],
        capture_output=True,
        text=True,
        check=True,
    )
    listing = labextensions.stdout + labextensions.stderr
    assert re.search(r"lakebook v\S+ .*enabled.*OK", listing), listing
    server_extensions = subprocess.run(
        [sys.executable, "-m", "jupyter", "server", "extension", "list"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert re.search(
        r"lakebook\.lab .*enabled", server_extensions.stderr + server_extensions.stdout
    )


def test_panel_calls_without_a_gateway_token_say_how_to_get_one(
    servers: tuple[str, str, str],
) -> None:
    token, lab_url, _ = servers
    response = httpx.get(
        f"{lab_url}/lakebook/deployments", headers={"Authorization": f"token {token}"}
    )
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "service_unavailable"
    assert "LAKEBOOK_TOKEN" in body["message"]


def test_panel_calls_with_the_gateway_down_answer_502_with_a_readable_message(
    servers: tuple[str, str, str],
) -> None:
    token, _, lab_url = servers
    headers = {"Authorization": f"token {token}"}
    response = httpx.post(
        f"{lab_url}/lakebook/flows/ping/execute", headers=headers, json={"parameters": {}}
    )
    assert response.status_code == 502
    assert "cannot reach the lakebook gateway" in response.json()["message"]


def test_panel_launch_refuses_parameters_that_are_not_an_object(
    servers: tuple[str, str, str],
) -> None:
    token, lab_url, _ = servers
    response = httpx.post(
        f"{lab_url}/lakebook/flows/ping/execute",
        headers={"Authorization": f"token {token}"},
        json={"parameters": [1, 2]},
    )
    assert response.status_code == 400
    assert "parameters must be a JSON object" in response.json()["message"]
