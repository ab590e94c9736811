"""What the panel's server side answers when the real gateway refuses a call: the statuses the
panel can act on kept with the gateway's words, field errors listed, the rest a 502."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from lakebook.kernel.gateway_http import ME_PATH, TOKEN_PATH
from lakebook.lab.gateway import GatewayError, call_gateway
from tests.utils.services import Gateway


@pytest.fixture
def panel_env(gateway: Gateway, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Jupyter server's environment: the gateway's URL and a token it never issued."""
    monkeypatch.setenv("LAKEBOOK_GATEWAY_URL", gateway.url)
    monkeypatch.setenv("LAKEBOOK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LAKEBOOK_TOKEN", "not-a-token")


def refusal(method: str, path: str, **kwargs: object) -> GatewayError:
    with pytest.raises(GatewayError) as refused:
        asyncio.run(call_gateway(method, path, **kwargs))
    return refused.value


@pytest.mark.usefixtures("panel_env")
def test_a_refused_lakebook_token_is_a_bad_gateway_not_a_jupyter_auth_error() -> None:
    error = refusal("GET", ME_PATH)
    assert error.status_code == 502
    assert error.message.startswith("gateway answered 401 to GET /api/v1/auth/me: ")
    assert error.message.endswith(
        " (lakebook's token was refused: restart `lakebook up` or set LAKEBOOK_TOKEN)"
    )
    assert "answered 401)" not in error.message, "the kernel's wording stays the kernel's"


@pytest.mark.usefixtures("panel_env")
def test_answers_the_panel_can_act_on_keep_their_status_and_the_gateways_words() -> None:
    error = refusal("GET", "/no/such/route")
    assert (error.status_code, error.message) == (404, "Not Found")


@pytest.mark.usefixtures("panel_env")
def test_refused_fields_are_listed_for_the_form() -> None:
    error = refusal("POST", TOKEN_PATH, data={"username": "someone"})
    assert error.status_code == 422
    assert error.message == "invalid parameters (body.password: Field required)"
    assert error.fields == [{"field": "body.password", "message": "Field required"}]
