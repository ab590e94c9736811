"""/lakebook/session in a real Jupyter server over HTTP, against the real gateway: signing in and
out of the panel, who gateway calls and kernels act as, and that no token reaches the browser.

Over HTTP rather than pytest-jupyter's jp_fetch, which this environment does not install; it
also lets the XSRF test sign in to Jupyter with a cookie, as a browser does."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator

import httpx
import pytest

from lakebook.kernel.credentials import CREDENTIALS_FILE_NAME, read_credentials_file
from lakebook.kernel.gateway_http import REFRESH_PATH
from tests.utils.lab_sessions import (
    WHOAMI,
    Lab,
    jupyter_server,
    jupyter_user,
    operator_file,
    run_in_kernel,
    sign_in,
)
from tests.utils.ports import HOST, free_port
from tests.utils.services import Gateway, quiet_supervisor

# Starts Jupyter servers (and a kernel in one) against the session's auth gateway.
pytestmark = pytest.mark.services

JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")


@pytest.fixture(scope="module")
def labs(gateway: Gateway, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Lab, Lab]]:
    """A Jupyter server with the operator's credential file, and one whose gateway is down."""
    root = tmp_path_factory.mktemp("lab-session")
    token = secrets.token_urlsafe(16)
    supervisor = quiet_supervisor(root / "stack.json")
    try:
        up, down = root / "up", root / "down"
        up.mkdir()
        down.mkdir()
        operator = operator_file(gateway, up)
        with_gateway = jupyter_server(up, token, gateway.url)
        without_gateway = jupyter_server(down, token, f"http://{HOST}:{free_port()}")
        supervisor.start(with_gateway)
        supervisor.start(without_gateway)
        yield (
            Lab(with_gateway.url, token, up, operator),
            Lab(without_gateway.url, token, down, ""),
        )
    finally:
        supervisor.stop_all()


@pytest.fixture(scope="module")
def bodies() -> list[str]:
    """Every answer body the 'browser' received in this module."""
    return []


@pytest.fixture
def user(labs: tuple[Lab, Lab], bodies: list[str]) -> Iterator[httpx.Client]:
    """A new Jupyter user of the server with the gateway; signed out afterwards."""
    with jupyter_user(labs[0], bodies) as client:
        yield client
        client.delete("/session").raise_for_status()


def test_before_signing_in_the_panel_acts_as_the_operator(
    labs: tuple[Lab, Lab], user: httpx.Client
) -> None:
    answer = user.get("/session")
    assert answer.status_code == 200
    assert answer.json() == {
        "signed_in": True,
        "user": {"name": labs[0].operator, "role": "admin"},
        "source": "operator",
        "gateway_url": answer.json()["gateway_url"],
        "gateway_ok": True,
        "message": None,
    }


def test_sign_in_shows_the_user_and_gateway_calls_are_made_as_them(
    labs: tuple[Lab, Lab], user: httpx.Client, gateway: Gateway, bodies: list[str]
) -> None:
    name = sign_in(user, gateway, "viewer")
    expected = {
        "signed_in": True,
        "user": {"name": name, "role": "viewer"},
        "source": "sign-in",
        "gateway_url": gateway.url,
        "gateway_ok": True,
        "message": None,
    }
    assert user.get("/session").json() == expected
    # The gateway sees a viewer (the operator is an admin, who may launch flows).
    refused = user.post("/flows/ping/execute", json={"parameters": {}})
    assert refused.status_code == 502
    assert refused.json()["message"].endswith("role 'viewer' cannot launch flows")
    # Another Jupyter user (another browser) of the same server is not signed in as them.
    with jupyter_user(labs[0], bodies) as other:
        assert other.get("/session").json()["source"] == "operator"
    assert read_credentials_file(labs[0].kernel_file).user == name


def test_a_wrong_password_is_401_with_the_gateways_words_and_nothing_is_stored(
    labs: tuple[Lab, Lab], user: httpx.Client, gateway: Gateway
) -> None:
    name, _ = gateway.add_user()
    answer = user.post("/session", json={"username": name, "password": "not-the-password"})
    assert answer.status_code == 401
    assert answer.json() == {"code": "unauthorized", "message": "incorrect user name or password"}
    assert user.get("/session").json()["source"] == "operator"
    assert labs[0].kernel_files() == []


def test_a_missing_field_is_422_naming_it(user: httpx.Client) -> None:
    answer = user.post("/session", json={"username": "someone"})
    assert answer.status_code == 422
    assert answer.json()["fields"] == [{"field": "password", "message": "Field required"}]
    assert user.post("/session", content=b"{not json").status_code == 400


def test_repeated_failures_are_throttled_with_retry_after(
    user: httpx.Client, gateway: Gateway
) -> None:
    name, _ = gateway.add_user()
    statuses = []
    for _ in range(gateway.settings.jwt.login_max_failures + 1):
        answer = user.post("/session", json={"username": name, "password": "wrong"})
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            break
    assert statuses[-1] == 429, statuses
    assert answer.json()["message"].startswith("too many failed sign-ins; try again in ")
    assert int(answer.headers["Retry-After"]) > 0


def test_jupyter_refuses_requests_without_its_own_auth(labs: tuple[Lab, Lab]) -> None:
    for method in ("GET", "POST", "DELETE"):
        answer = httpx.request(method, f"{labs[0].url}/lakebook/session", json={})
        assert answer.status_code == 403, method


def test_a_cookie_authenticated_post_needs_the_xsrf_token(
    labs: tuple[Lab, Lab], gateway: Gateway
) -> None:
    name, password = gateway.add_user()
    with httpx.Client(base_url=labs[0].url, timeout=30) as browser:
        browser.get("/login")
        xsrf = browser.cookies["_xsrf"]
        browser.post("/login", data={"password": labs[0].token, "_xsrf": xsrf})
        assert browser.get("/lakebook/session").status_code == 200, "signed in to Jupyter"
        credentials = {"username": name, "password": password}
        refused = browser.post("/lakebook/session", json=credentials)
        assert refused.status_code == 403
        assert "_xsrf" in refused.json()["message"]
        accepted = browser.post(
            "/lakebook/session", json=credentials, headers={"X-XSRFToken": xsrf}
        )
        assert accepted.status_code == 200
        assert accepted.json()["user"]["name"] == name
        signed_out = browser.delete("/lakebook/session", headers={"X-XSRFToken": xsrf})
        assert signed_out.status_code == 204


def test_with_the_gateway_down_sign_in_is_a_clear_502(
    labs: tuple[Lab, Lab], bodies: list[str]
) -> None:
    with jupyter_user(labs[1], bodies) as user:
        answer = user.post("/session", json={"username": "ana", "password": "secret"})
        assert answer.status_code == 502
        assert answer.json()["message"].startswith("cannot reach the lakebook gateway at ")
        view = user.get("/session").json()
        assert (view["signed_in"], view["gateway_ok"]) == (False, False)
        assert "no gateway token" in view["message"]


def test_sign_out_revokes_removes_the_kernel_file_and_does_not_fall_back(
    labs: tuple[Lab, Lab], user: httpx.Client, gateway: Gateway
) -> None:
    sign_in(user, gateway)
    kernel = read_credentials_file(labs[0].kernel_file)
    answer = user.delete("/session")
    assert (answer.status_code, answer.content) == (204, b"")
    assert labs[0].kernel_files() == []
    refreshed = httpx.post(gateway.api(REFRESH_PATH), json={"refresh_token": kernel.refresh_token})
    assert refreshed.status_code == 401
    view = user.get("/session").json()
    assert (view["signed_in"], view["user"], view["source"]) == (False, None, None)
    assert view["message"] == "you signed out of lakebook; sign in to use the gateway again"
    refused = user.get("/deployments")
    assert refused.status_code == 401
    assert refused.json()["message"] == view["message"]
    name = sign_in(user, gateway)
    assert user.get("/session").json()["user"]["name"] == name, "signing in again works"


def test_kernels_of_the_server_act_as_the_signed_in_user(
    labs: tuple[Lab, Lab], user: httpx.Client, gateway: Gateway
) -> None:
    lab = labs[0]
    api = httpx.Client(base_url=f"{lab.url}/api", headers=user.headers, timeout=60)
    kernel_id = api.post("/kernels", json={"name": "python3"}).raise_for_status().json()["id"]
    try:
        name = sign_in(user, gateway)
        assert run_in_kernel(lab, kernel_id, WHOAMI) == name
        user.delete("/session").raise_for_status()
        # No sign-in file: kernels are back on the server's default, the operator's token.
        assert run_in_kernel(lab, kernel_id, WHOAMI) == lab.operator
    finally:
        api.delete(f"/kernels/{kernel_id}")
        api.close()


def test_the_browser_never_receives_a_token(
    labs: tuple[Lab, Lab], user: httpx.Client, gateway: Gateway, bodies: list[str]
) -> None:
    sign_in(user, gateway)
    user.get("/session")
    kernel = read_credentials_file(labs[0].kernel_file)
    operator = read_credentials_file(labs[0].root / CREDENTIALS_FILE_NAME)
    secrets_seen = {kernel.token, kernel.refresh_token, operator.token, operator.refresh_token}
    assert len(bodies) > 10
    for body in bodies:
        assert not JWT.search(body), body
        assert "access_token" not in body, body
        assert "refresh_token" not in body, body
        assert not any(secret and secret in body for secret in secrets_seen), body
