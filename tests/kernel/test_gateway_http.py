"""The gateway HTTP client against a real gateway: its route paths, and the LakebookError each
answer the gateway gives (or the silence of a closed port) becomes, sync and async alike."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from lakebook.kernel.errors import (
    LakebookAuthError,
    LakebookConnectionError,
    LakebookNotFound,
    LakebookValidationError,
)
from lakebook.kernel.gateway_http import (
    ME_PATH,
    TOKEN_PATH,
    GatewayHTTP,
    dataset_path,
    execute_path,
    run_events_path,
    run_path,
)
from tests.utils.ports import HOST, free_port
from tests.utils.services import Gateway


@pytest.fixture
def stranger(gateway: Gateway) -> Iterator[GatewayHTTP]:
    """A client whose bearer token the gateway never issued."""
    http = GatewayHTTP(gateway.url + "/", "not-a-token")
    yield http
    http.close()


def test_paths_keep_each_name_one_segment() -> None:
    assert execute_path("../x") == "/flows/..%2Fx/execute"
    assert run_path("a/b") == "/flows/runs/a%2Fb"
    assert run_events_path("r 1") == "/flows/runs/r%201/events"
    assert dataset_path("sales?x") == "/lake/datasets/sales%3Fx"


def test_a_refused_token_is_an_auth_error_naming_the_request(stranger: GatewayHTTP) -> None:
    assert not stranger.url.endswith("/")
    with pytest.raises(LakebookAuthError) as refused:
        stranger.request("GET", ME_PATH)
    error = refused.value
    assert error.status == 401
    assert error.message == (
        f"{error.detail} — get a fresh token: `lakebook login`, restart `lakebook up` or set "
        "LAKEBOOK_TOKEN (GET /api/v1/auth/me answered 401)"
    )
    assert error.detail
    assert "LAKEBOOK_TOKEN" not in error.detail


def test_async_calls_map_answers_the_same_way(stranger: GatewayHTTP) -> None:
    with pytest.raises(LakebookAuthError, match=r"\(GET /api/v1/auth/me answered 401\)"):
        asyncio.run(stranger.arequest("GET", ME_PATH))


def test_an_unknown_route_is_not_found(stranger: GatewayHTTP) -> None:
    with pytest.raises(LakebookNotFound) as missing:
        stranger.send("GET", "/no/such/route")
    assert missing.value.status == 404
    assert missing.value.message == "Not Found (GET /api/v1/no/such/route answered 404)"


def test_a_refused_body_names_each_field(gateway: Gateway) -> None:
    http = GatewayHTTP(gateway.url)
    try:
        with pytest.raises(LakebookValidationError) as refused:
            http.request("POST", TOKEN_PATH, data={"username": "someone"})
    finally:
        http.close()
    error = refused.value
    assert error.status == 422
    assert error.fields == {"body.password": "Field required"}
    assert error.message == "invalid parameters (body.password: Field required)"


def test_a_successful_answer_is_its_json(gateway: Gateway) -> None:
    name, password = gateway.add_user("analyst")
    http = GatewayHTTP(gateway.url)
    try:
        pair = http.request("POST", TOKEN_PATH, data={"username": name, "password": password})
    finally:
        http.close()
    signed_in = GatewayHTTP(gateway.url, pair["access_token"])
    try:
        assert signed_in.request("GET", ME_PATH)["name"] == name
        assert asyncio.run(signed_in.asend("GET", ME_PATH)).status_code == 200
    finally:
        signed_in.close()


def test_a_closed_port_is_a_connection_error_saying_what_to_check() -> None:
    url = f"http://{HOST}:{free_port()}"
    http = GatewayHTTP(url, "any")
    with pytest.raises(LakebookConnectionError) as silent:
        http.request("GET", ME_PATH)
    assert silent.value.status is None
    assert silent.value.message.startswith(f"cannot reach the lakebook gateway at {url} (")
    assert silent.value.message.endswith("is LAKEBOOK_GATEWAY_URL right?")
    with pytest.raises(LakebookConnectionError, match="cannot reach"):
        asyncio.run(http.arequest("GET", ME_PATH))
    http.close()


def test_health_is_asked_outside_the_api_prefix(gateway: Gateway) -> None:
    assert asyncio.run(GatewayHTTP(gateway.url).ahealthy()) is True
    assert asyncio.run(GatewayHTTP(f"http://{HOST}:{free_port()}").ahealthy()) is False
