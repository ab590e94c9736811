"""Signing in, rotating and revoking refresh tokens, throttling — over HTTP."""

from __future__ import annotations

import httpx

from lakebook.gateway.db import session_scope
from lakebook.gateway.users import set_disabled
from tests.utils.gateway_clients import client_from
from tests.utils.services import Gateway


def login(gateway: Gateway, name: str, password: str) -> httpx.Response:
    return httpx.post(
        gateway.api("/auth/token"), data={"username": name, "password": password}, timeout=10
    )


def refresh(gateway: Gateway, token: str) -> httpx.Response:
    return httpx.post(gateway.api("/auth/refresh"), json={"refresh_token": token}, timeout=10)


def me(gateway: Gateway, access_token: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {access_token}"}
    return httpx.get(gateway.api("/auth/me"), headers=headers, timeout=10)


def test_login_gives_a_token_pair_that_works(gateway: Gateway) -> None:
    name, password = gateway.add_user("viewer")
    response = login(gateway, name, password)
    assert response.status_code == 200, response.text
    pair = response.json()
    assert pair["token_type"] == "bearer"
    assert pair["expires_in"] == 15 * 60
    assert me(gateway, pair["access_token"]).json()["role"] == "viewer"


def test_wrong_password_and_unknown_user_look_the_same(gateway: Gateway) -> None:
    name, _ = gateway.add_user()
    wrong = login(gateway, name, "not-the-password")
    unknown = login(gateway, "nobody-at-all", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "incorrect user name or password"}


def test_disabled_user_cannot_sign_in_and_loses_existing_tokens(gateway: Gateway) -> None:
    name, password = gateway.add_user()
    pair = login(gateway, name, password).json()
    with session_scope(gateway.settings.gateway.database) as session:
        set_disabled(session, name, True)
    right = login(gateway, name, password)
    assert right.status_code == 401
    assert me(gateway, pair["access_token"]).status_code == 401
    assert refresh(gateway, pair["refresh_token"]).status_code == 401
    # Whether the password was right is not told: the same answer as a wrong one.
    wrong = login(gateway, name, "not-the-password")
    assert (right.status_code, right.json()) == (wrong.status_code, wrong.json())
    assert right.json() == {"detail": "incorrect user name or password"}


def test_a_disabled_user_with_the_right_password_is_throttled_like_a_wrong_one(
    gateway: Gateway,
) -> None:
    # Otherwise the throttle would be the oracle: right passwords would never reach the limit.
    name, password = gateway.add_user()
    with session_scope(gateway.settings.gateway.database) as session:
        set_disabled(session, name, True)
    limit = gateway.settings.jwt.login_max_failures
    form = {"username": name, "password": password}
    # From an address of its own: the session's gateway keeps 127.0.0.1's count for the others.
    with client_from("127.0.0.5") as client:
        statuses = [
            client.post(gateway.api("/auth/token"), data=form).status_code for _ in range(limit)
        ]
        assert statuses == [401] * limit
        assert client.post(gateway.api("/auth/token"), data=form).status_code == 429


def test_enabling_again_does_not_revive_the_refresh_tokens_disabling_revoked(
    gateway: Gateway,
) -> None:
    name, password = gateway.add_user()
    first = login(gateway, name, password).json()
    second = login(gateway, name, password).json()
    with session_scope(gateway.settings.gateway.database) as session:
        set_disabled(session, name, True)
    with session_scope(gateway.settings.gateway.database) as session:
        set_disabled(session, name, False)
    for pair in (first, second):
        refused = refresh(gateway, pair["refresh_token"])
        assert refused.status_code == 401, refused.text
        assert refused.json()["detail"] == "refresh token was revoked; sign in again"
    # Signing in again works, and its refresh token does.
    fresh = login(gateway, name, password)
    assert fresh.status_code == 200, fresh.text
    assert refresh(gateway, fresh.json()["refresh_token"]).status_code == 200


def test_refresh_rotates_and_reuse_revokes_the_family(gateway: Gateway) -> None:
    name, password = gateway.add_user()
    first = login(gateway, name, password).json()
    second = refresh(gateway, first["refresh_token"])
    assert second.status_code == 200, second.text
    assert second.json()["refresh_token"] != first["refresh_token"]
    assert me(gateway, second.json()["access_token"]).status_code == 200

    reused = refresh(gateway, first["refresh_token"])
    assert reused.status_code == 401
    assert "already used" in reused.json()["detail"]
    # The thief's copy and the legitimate new token die together.
    assert refresh(gateway, second.json()["refresh_token"]).status_code == 401
    # Another sign-in of the same user is a different family and lives on.
    other = login(gateway, name, password).json()
    assert refresh(gateway, other["refresh_token"]).status_code == 200


def test_logout_revokes_the_refresh_token(gateway: Gateway) -> None:
    name, password = gateway.add_user()
    pair = login(gateway, name, password).json()
    response = httpx.post(
        gateway.api("/auth/logout"), json={"refresh_token": pair["refresh_token"]}
    )
    assert response.status_code == 204
    assert refresh(gateway, pair["refresh_token"]).json()["detail"].startswith("refresh token was")
    unknown = httpx.post(gateway.api("/auth/logout"), json={"refresh_token": "never-issued"})
    assert unknown.status_code == 204


def test_bad_refresh_bodies_are_422_not_500(gateway: Gateway) -> None:
    for body in ({}, {"refresh_token": ""}, {"refresh_token": "x" * 600}, {"refresh_token": 5}):
        response = httpx.post(gateway.api("/auth/refresh"), json=body)
        assert response.status_code in {401, 422}, (body, response.text)


def test_repeated_failures_are_throttled_with_retry_after(gateway: Gateway) -> None:
    name, password = gateway.add_user()
    limit = gateway.settings.jwt.login_max_failures
    statuses = [login(gateway, name, "wrong-password").status_code for _ in range(limit)]
    assert statuses == [401] * limit
    throttled = login(gateway, name, password)
    assert throttled.status_code == 429
    assert 0 < int(throttled.headers["retry-after"]) <= gateway.settings.jwt.login_window_seconds
    assert "too many failed sign-ins" in throttled.json()["detail"]
