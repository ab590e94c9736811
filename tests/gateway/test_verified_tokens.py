"""The gateway's memory of verified tokens never accepts what verification would refuse."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
import pytest

from lakebook.common.settings import Settings
from lakebook.gateway.core.security import InvalidTokenError, VerifiedTokens, create_access_token
from lakebook.gateway.db import session_scope
from lakebook.gateway.users import set_disabled
from tests.utils.services import Gateway

SETTINGS = Settings(jwt_secret="s" * 40)


def test_a_remembered_token_is_refused_once_it_expires() -> None:
    verified = VerifiedTokens()
    token = create_access_token(
        SETTINGS, subject="ana", role="analyst", lifetime=timedelta(seconds=2)
    )
    assert verified.claims(SETTINGS, token).subject == "ana"
    assert verified.claims(SETTINGS, token).subject == "ana"  # now from memory
    time.sleep(2.1)  # waits out the token's 2 s lifetime: expiry is what is tested
    with pytest.raises(InvalidTokenError, match="expired"):
        verified.claims(SETTINGS, token)


def test_a_changed_token_is_verified_again_and_refused() -> None:
    verified = VerifiedTokens()
    token = create_access_token(SETTINGS, subject="ana", role="analyst")
    verified.claims(SETTINGS, token)
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    with pytest.raises(InvalidTokenError):
        verified.claims(SETTINGS, tampered)


def test_memory_is_bounded_oldest_first() -> None:
    verified = VerifiedTokens(max_entries=2)
    tokens = [create_access_token(SETTINGS, subject=f"u{i}", role="viewer") for i in range(3)]
    for token in tokens:
        verified.claims(SETTINGS, token)
    assert list(verified._entries) == tokens[1:]


def test_a_token_used_before_still_needs_an_active_user(gateway: Gateway) -> None:
    name, password = gateway.add_user("analyst")
    token = httpx.post(
        gateway.api("/auth/token"), data={"username": name, "password": password}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(gateway.api("/auth/me"), headers=headers).status_code == 200
    with session_scope(gateway.settings.gateway.database) as session:
        set_disabled(session, name, True)
    # The token is remembered as verified, but its user is checked on every request (this
    # gateway fixture keeps no memory of active users).
    answer = httpx.get(gateway.api("/auth/me"), headers=headers)
    assert answer.status_code == 401, answer.text
