"""LAKEBOOK_MULTI_USER in a real Jupyter server against the real gateway: no shared credential
reaches the panel or kernels (not the operator's file, not the server's LAKEBOOK_TOKEN), each
person signs in, and a second person cannot take over the first one's kernels (issue 22, item 6).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lakebook.cli.stack.bootstrap import operator_credentials
from lakebook.common.settings import load_settings
from lakebook.kernel.credentials import CREDENTIALS_FILE_NAME, read_credentials_file
from lakebook.lab.gateway import MULTI_USER_SIGN_IN
from tests.utils.lab_sessions import (
    WHOAMI,
    Lab,
    jupyter_server,
    jupyter_user,
    operator_file,
    run_in_kernel,
    sign_in,
)
from tests.utils.services import Gateway, quiet_supervisor

pytestmark = pytest.mark.services

SHOW_TOKEN = "import os\nprint(repr(os.environ.get('LAKEBOOK_TOKEN')), end='')"


@pytest.fixture(scope="module")
def lab(gateway: Gateway, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """A multi-user Jupyter server whose data dir holds the operator's credential file and whose
    environment holds an admin token: both must stay unused."""
    root = tmp_path_factory.mktemp("lab-multi-user")
    operator = operator_file(gateway, root)
    admin_token = read_credentials_file(root / CREDENTIALS_FILE_NAME).token
    token = secrets.token_urlsafe(16)
    server = jupyter_server(
        root,
        token,
        gateway.url,
        {"LAKEBOOK_MULTI_USER": "true", "LAKEBOOK_TOKEN": admin_token},
    )
    supervisor = quiet_supervisor(root / "stack.json")
    try:
        supervisor.start(server)
        yield Lab(server.url, token, root, operator)
    finally:
        supervisor.stop_all()


@pytest.fixture
def people(lab: Lab) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    """Two Jupyter users of the server (two browsers); both signed out afterwards."""
    bodies: list[str] = []
    with jupyter_user(lab, bodies) as first, jupyter_user(lab, bodies) as second:
        yield first, second
        first.delete("/session")
        second.delete("/session")


@pytest.fixture
def kernel(lab: Lab, people: tuple[httpx.Client, httpx.Client]) -> Iterator[str]:
    api = httpx.Client(base_url=f"{lab.url}/api", headers=people[0].headers, timeout=60)
    kernel_id: str = api.post("/kernels", json={"name": "python3"}).raise_for_status().json()["id"]
    try:
        yield kernel_id
    finally:
        api.delete(f"/kernels/{kernel_id}")
        api.close()


def test_before_signing_in_nobody_acts_as_the_operator(
    lab: Lab, people: tuple[httpx.Client, httpx.Client], kernel: str
) -> None:
    person = people[0]
    view = person.get("/session").json()
    assert (view["signed_in"], view["user"], view["source"]) == (False, None, None)
    assert view["message"] == MULTI_USER_SIGN_IN
    refused = person.get("/deployments")
    assert refused.status_code == 401
    assert refused.json()["message"] == MULTI_USER_SIGN_IN
    assert run_in_kernel(lab, kernel, SHOW_TOKEN) == "None", "the server's token is not passed"
    said = run_in_kernel(lab, kernel, WHOAMI)
    assert said.startswith("LakebookCredentialsError: this workspace is multi-user"), said


def test_a_person_signs_in_and_their_kernels_act_as_them(
    lab: Lab, people: tuple[httpx.Client, httpx.Client], kernel: str, gateway: Gateway
) -> None:
    name = sign_in(people[0], gateway)
    assert people[0].get("/session").json()["user"] == {"name": name, "role": "analyst"}
    assert run_in_kernel(lab, kernel, WHOAMI) == name
    people[0].delete("/session").raise_for_status()
    said = run_in_kernel(lab, kernel, WHOAMI)
    assert said.startswith("LakebookCredentialsError: this workspace is multi-user"), said


def test_a_second_person_cannot_take_over_the_first_ones_kernels(
    lab: Lab, people: tuple[httpx.Client, httpx.Client], kernel: str, gateway: Gateway
) -> None:
    first, second = people
    name = sign_in(first, gateway)
    other, password = gateway.add_user("admin")
    refused = second.post("/session", json={"username": other, "password": password})
    assert refused.status_code == 409
    assert "one Jupyter server per person" in refused.json()["message"]
    assert second.get("/session").json()["signed_in"] is False
    assert run_in_kernel(lab, kernel, WHOAMI) == name
    # Once the first person signs out, the server is free for the next one.
    first.delete("/session").raise_for_status()
    assert sign_in(second, gateway) != name


def test_lakebook_up_writes_no_operator_token_and_removes_an_old_one(tmp_path: Path) -> None:
    stale = tmp_path / CREDENTIALS_FILE_NAME
    stale.write_text("{}")
    settings = load_settings(data_dir=tmp_path, multi_user=True)
    assert operator_credentials(settings) is None
    assert not stale.exists()
