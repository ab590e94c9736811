"""Access tokens over HTTP against the real gateway: one accepted, every forgery refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from lakebook.gateway.core.security import create_access_token
from tests.utils.services import Gateway


@pytest.fixture(scope="module")
def user(gateway: Gateway) -> str:
    """An existing analyst: forgeries below fail for being forged, not for a missing user."""
    return gateway.add_user("analyst")[0]


def claims(user: str, **changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    base = {
        "sub": user,
        "role": "analyst",
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "iss": "lakebook",
        "aud": "lakebook-api",
        "jti": uuid.uuid4().hex,
    }
    return {k: v for k, v in (base | changes).items() if v is not None}


def get_me(gateway: Gateway, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.get(gateway.api("/auth/me"), headers=headers, timeout=10)


def test_valid_token_identifies_the_user(gateway: Gateway, user: str) -> None:
    token = create_access_token(gateway.settings, subject=user, role="analyst")
    response = get_me(gateway, token)
    assert response.status_code == 200, response.text
    assert (response.json()["name"], response.json()["role"]) == (user, "analyst")


def test_missing_token_is_401_with_bearer_challenge(gateway: Gateway) -> None:
    response = get_me(gateway, None)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "not signed in" in response.json()["detail"]


def tampered(gateway: Gateway, user: str) -> str:
    """A viewer's genuine token whose payload was edited to say admin, signature kept."""
    token = create_access_token(gateway.settings, subject=user, role="viewer")
    header, payload, signature = token.split(".")
    genuine = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    edited = json.dumps(genuine | {"role": "admin"}).encode()
    return f"{header}.{base64.urlsafe_b64encode(edited).rstrip(b'=').decode()}.{signature}"


def signed(gateway: Gateway, user: str, **changes: Any) -> str:
    """Signed with the gateway's real secret, but with claims that must not pass."""
    secret = gateway.settings.require_secret("jwt_secret")
    return jwt.encode(claims(user, **changes), secret, algorithm="HS256")


def rs256(gateway: Gateway, user: str) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims(user), key, algorithm="RS256")


def public_key_as_hmac_secret(gateway: Gateway, user: str) -> str:
    """The classic HS/RS confusion: an RSA public key used as the HMAC secret."""
    public_key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    pem = public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": "JWT"}
    signing_input = b".".join(
        base64.urlsafe_b64encode(json.dumps(part, default=str).encode()).rstrip(b"=")
        for part in (header, claims(user))
    )
    signature = base64.urlsafe_b64encode(hmac.new(pem, signing_input, hashlib.sha256).digest())
    return f"{signing_input.decode()}.{signature.rstrip(b'=').decode()}"


Forgery = Callable[[Gateway, str], str]
FORGERIES: dict[str, Forgery] = {
    "alg none": lambda g, u: jwt.encode(claims(u, role="admin"), None, algorithm="none"),
    "RS256 with attacker key": rs256,
    "HS256 with a public key as secret": public_key_as_hmac_secret,
    "wrong secret": lambda g, u: jwt.encode(claims(u), "x" * 32, algorithm="HS256"),
    "tampered payload": tampered,
    "expired": lambda g, u: signed(g, u, exp=datetime.now(UTC) - timedelta(seconds=5)),
    "wrong audience": lambda g, u: signed(g, u, aud="other-api"),
    "wrong issuer": lambda g, u: signed(g, u, iss="evil"),
    "missing jti": lambda g, u: signed(g, u, jti=None),
    "missing exp": lambda g, u: signed(g, u, exp=None),
    "missing iat": lambda g, u: signed(g, u, iat=None),
    "unknown role": lambda g, u: signed(g, u, role="root"),
    "garbage": lambda g, u: "not.a.token",
}


@pytest.mark.parametrize("attack", sorted(FORGERIES))
def test_forged_tokens_are_refused(gateway: Gateway, user: str, attack: str) -> None:
    token = FORGERIES[attack](gateway, user)
    response = get_me(gateway, token)
    assert response.status_code == 401, f"{attack}: {response.text}"
    assert response.headers["www-authenticate"] == "Bearer"
    detail = response.json()["detail"]
    assert detail.startswith(("invalid token", "token has expired")), detail
    assert token not in response.text


def test_expired_token_says_so(gateway: Gateway, user: str) -> None:
    expired = signed(gateway, user, exp=datetime.now(UTC) - timedelta(seconds=5))
    assert get_me(gateway, expired).json()["detail"] == "token has expired; sign in again"


def test_token_of_an_unknown_user_is_refused(gateway: Gateway) -> None:
    response = get_me(gateway, signed(gateway, "nobody"))
    assert response.status_code == 401
    assert response.json()["detail"] == "account is disabled or no longer exists"
