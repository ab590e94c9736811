"""Access tokens over HTTP against the real gateway: one accepted, every forgery refused."""

from __future__ import annotations

import base64
import io
import json
import secrets
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from lakebook.common.settings import Settings
from lakebook.gateway.core.security import create_access_token
from lakebook.gateway.stack.console import Console
from lakebook.gateway.stack.supervisor import Supervisor
from tests.conftest import HOST, free_port
from tests.gateway.conftest import start_gateway

JWT_SECRET = secrets.token_urlsafe(32)


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir = tmp_path_factory.mktemp("auth")
    return Settings(data_dir=data_dir, gateway_port=free_port(), jwt_secret=JWT_SECRET)


@pytest.fixture(scope="module")
def me_url(settings: Settings) -> Iterator[str]:
    supervisor = Supervisor(Console(io.StringIO()), HOST, settings.data_dir / "stack.json")
    try:
        yield start_gateway(supervisor, settings, jwt_secret=JWT_SECRET) + "/api/v1/auth/me"
    finally:
        supervisor.stop_all()


def claims(**changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    base = {
        "sub": "ana",
        "role": "analyst",
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "iss": "lakebook",
        "aud": "lakebook-api",
        "jti": uuid.uuid4().hex,
    }
    return {k: v for k, v in (base | changes).items() if v is not None}


def get_me(url: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.get(url, headers=headers, timeout=10)


def test_valid_token_identifies_the_user(me_url: str, settings: Settings) -> None:
    token = create_access_token(settings, subject="ana", role="analyst")
    response = get_me(me_url, token)
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "ana"
    assert response.json()["role"] == "analyst"


def test_missing_token_is_401_with_bearer_challenge(me_url: str) -> None:
    response = get_me(me_url, None)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "not signed in" in response.json()["detail"]


def tampered(settings: Settings) -> str:
    """A viewer's genuine token whose payload was edited to say admin, signature kept."""
    header, payload, signature = create_access_token(settings, subject="ana", role="viewer").split(
        "."
    )
    genuine = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    edited = json.dumps(genuine | {"role": "admin"}).encode()
    return f"{header}.{base64.urlsafe_b64encode(edited).rstrip(b'=').decode()}.{signature}"


def rs256_token() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims(), key, algorithm="RS256")


FORGERIES = {
    "alg none": lambda s: jwt.encode(claims(role="admin"), None, algorithm="none"),
    "RS256 with attacker key": lambda s: rs256_token(),
    "wrong secret": lambda s: jwt.encode(claims(), "x" * 32, algorithm="HS256"),
    "tampered payload": tampered,
    "expired": lambda s: jwt.encode(
        claims(exp=datetime.now(UTC) - timedelta(seconds=5)), JWT_SECRET, algorithm="HS256"
    ),
    "wrong audience": lambda s: jwt.encode(claims(aud="other-api"), JWT_SECRET, algorithm="HS256"),
    "wrong issuer": lambda s: jwt.encode(claims(iss="evil"), JWT_SECRET, algorithm="HS256"),
    "missing jti": lambda s: jwt.encode(claims(jti=None), JWT_SECRET, algorithm="HS256"),
    "missing exp": lambda s: jwt.encode(claims(exp=None), JWT_SECRET, algorithm="HS256"),
    "unknown role": lambda s: jwt.encode(claims(role="root"), JWT_SECRET, algorithm="HS256"),
    "empty subject": lambda s: jwt.encode(claims(sub=""), JWT_SECRET, algorithm="HS256"),
    "garbage": lambda s: "not.a.token",
}


@pytest.mark.parametrize("attack", sorted(FORGERIES))
def test_forged_tokens_are_refused(me_url: str, settings: Settings, attack: str) -> None:
    token = FORGERIES[attack](settings)
    response = get_me(me_url, token)
    assert response.status_code == 401, f"{attack}: {response.text}"
    assert response.headers["www-authenticate"] == "Bearer"
    assert token not in response.text


def test_expired_token_says_so(me_url: str) -> None:
    expired = claims(exp=datetime.now(UTC) - timedelta(seconds=5))
    response = get_me(me_url, jwt.encode(expired, JWT_SECRET, algorithm="HS256"))
    assert response.json()["detail"] == "token has expired; sign in again"
