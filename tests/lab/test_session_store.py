"""The server-side token store of panel sign-ins, against the real gateway: renewal before
expiry (once for concurrent requests), a refused renewal ending the session, sign-out revoking."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from lakebook.kernel.credentials import read_credentials_file
from lakebook.kernel.gateway_http import ME_PATH, REFRESH_PATH
from lakebook.lab.session import SIGNED_OUT, SessionStore, SignInNeeded, user_gateway_token
from tests.utils.services import Gateway

OWNER = "jupyter-user"


@pytest.fixture
def store(tmp_path: Path) -> SessionStore:
    return SessionStore(tmp_path / "runtime" / "lakebook-credentials.json")


def signed_in(store: SessionStore, gateway: Gateway, role: str = "analyst") -> str:
    name, password = gateway.add_user(role)
    asyncio.run(store.sign_in(OWNER, gateway.url, name, password))
    return name


def due_for_renewal(store: SessionStore) -> None:
    """As if the access token were about to expire (the gateway's last 45 s of 15 minutes)."""
    session = store.session(OWNER)
    assert session is not None
    past = datetime.now(UTC) - timedelta(seconds=1)
    store._sessions[OWNER] = replace(session, renew_at=past)


def me(gateway: Gateway, token: str) -> httpx.Response:
    return httpx.get(gateway.api(ME_PATH), headers={"Authorization": f"Bearer {token}"})


def refresh_answer(gateway: Gateway, refresh_token: str) -> int:
    return httpx.post(gateway.api(REFRESH_PATH), json={"refresh_token": refresh_token}).status_code


def test_sign_in_keeps_the_user_and_role_and_writes_a_private_kernel_file(
    store: SessionStore, gateway: Gateway
) -> None:
    name = signed_in(store, gateway, "viewer")
    session = store.session(OWNER)
    assert session is not None
    assert (session.user, session.role) == (name, "viewer")
    assert store.kernel_file.stat().st_mode & 0o777 == 0o600
    kernel = read_credentials_file(store.kernel_file)
    assert (kernel.user, kernel.gateway_url) == (name, gateway.url)
    # The kernels' own gateway session: not the tokens the server spends.
    assert kernel.refresh_token != session.refresh_token
    assert me(gateway, kernel.token).json()["name"] == name


def test_concurrent_requests_renew_an_expiring_token_once(
    store: SessionStore, gateway: Gateway
) -> None:
    name = signed_in(store, gateway)
    before = store.session(OWNER)
    assert before is not None
    due_for_renewal(store)

    async def five_requests() -> list[str]:
        return list(await asyncio.gather(*(store.access_token(OWNER) for _ in range(5))))

    # Spending the refresh token twice would make the gateway revoke the session: the later
    # renewals would raise SignInNeeded instead of all sharing the one new token.
    tokens = asyncio.run(five_requests())
    assert len(set(tokens)) == 1
    assert tokens[0] != before.access_token
    after = store.session(OWNER)
    assert after is not None
    assert after.refresh_token != before.refresh_token
    assert after.renew_at > datetime.now(UTC) + timedelta(minutes=10)
    assert me(gateway, tokens[0]).json()["name"] == name
    due_for_renewal(store)
    assert asyncio.run(store.access_token(OWNER)) != tokens[0], "the session still renews"


def test_a_token_that_is_not_due_is_used_as_it_is(store: SessionStore, gateway: Gateway) -> None:
    signed_in(store, gateway)
    session = store.session(OWNER)
    assert session is not None
    assert asyncio.run(store.access_token(OWNER)) == session.access_token
    assert store.session(OWNER) == session


def test_a_refused_renewal_ends_the_session_without_falling_back(
    store: SessionStore, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A default token the server could fall back to, which it must not use for this user.
    monkeypatch.setenv("LAKEBOOK_TOKEN", "the-servers-default-token")
    signed_in(store, gateway)
    session = store.session(OWNER)
    assert session is not None
    revoked = httpx.post(gateway.api("/auth/logout"), json={"refresh_token": session.refresh_token})
    assert revoked.status_code == 204
    due_for_renewal(store)
    with pytest.raises(SignInNeeded) as ended:
        asyncio.run(user_gateway_token(store, OWNER))
    assert ended.value.status_code == 401
    assert ended.value.message.startswith("your lakebook session has ended (the gateway said: ")
    assert ended.value.message.endswith("); sign in again")
    assert store.session(OWNER) is None
    with pytest.raises(SignInNeeded):
        asyncio.run(user_gateway_token(store, OWNER))


def test_sign_out_revokes_both_sessions_and_removes_the_kernel_file(
    store: SessionStore, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAKEBOOK_TOKEN", "the-servers-default-token")
    signed_in(store, gateway)
    session = store.session(OWNER)
    assert session is not None
    kernel = read_credentials_file(store.kernel_file)
    assert kernel.refresh_token is not None
    asyncio.run(store.sign_out(OWNER))
    assert not store.kernel_file.exists()
    assert store.session(OWNER) is None
    assert refresh_answer(gateway, session.refresh_token) == 401
    assert refresh_answer(gateway, kernel.refresh_token) == 401
    with pytest.raises(SignInNeeded, match="you signed out of lakebook"):
        asyncio.run(user_gateway_token(store, OWNER))


def test_other_jupyter_users_keep_the_servers_default_token(
    store: SessionStore, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAKEBOOK_TOKEN", "the-servers-default-token")
    signed_in(store, gateway)
    assert asyncio.run(user_gateway_token(store, "someone-else")) == "the-servers-default-token"


def test_a_second_sign_in_replaces_and_revokes_the_first(
    store: SessionStore, gateway: Gateway
) -> None:
    signed_in(store, gateway)
    first = store.session(OWNER)
    first_kernel = read_credentials_file(store.kernel_file)
    assert first is not None
    assert first_kernel.refresh_token is not None
    second_name = signed_in(store, gateway, "admin")
    assert read_credentials_file(store.kernel_file).user == second_name
    assert refresh_answer(gateway, first.refresh_token) == 401
    assert refresh_answer(gateway, first_kernel.refresh_token) == 401


def test_signing_out_while_a_renewal_is_under_way_stays_signed_out(
    store: SessionStore, gateway: Gateway
) -> None:
    signed_in(store, gateway)
    due_for_renewal(store)

    async def renew_and_sign_out() -> None:
        # The renewal waits for the gateway while the sign-out forgets the session.
        await asyncio.gather(
            store.access_token(OWNER), store.sign_out(OWNER), return_exceptions=True
        )

    asyncio.run(renew_and_sign_out())
    assert store.session(OWNER) is None
    assert store.ended(OWNER) == SIGNED_OUT
