"""Sign-in: password → access + refresh tokens, rotation, logout, and who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from lakebook.common.api import Me, RefreshRequest, TokenPair
from lakebook.gateway.api.deps import (
    API_PREFIX,
    CurrentUser,
    LoginThrottleDep,
    SessionDep,
    SettingsDep,
    unauthorized,
)
from lakebook.gateway.core.refresh import (
    Refused,
    issue_refresh_token,
    revoke_family_of,
    rotate_refresh_token,
)
from lakebook.gateway.core.security import create_access_token
from lakebook.gateway.models import User
from lakebook.gateway.users import authenticate

router = APIRouter(prefix=f"{API_PREFIX}/auth", tags=["auth"])

# Failures from one address may cover several users (a shared office IP), so it gets more room.
IP_LIMIT_FACTOR = 4
# Also the answer to a disabled account, whatever its password: an admin says why, not the API.
BAD_CREDENTIALS = "incorrect user name or password"


def _token_pair(settings: SettingsDep, user: User, refresh_token: str) -> TokenPair:
    return TokenPair(
        access_token=create_access_token(settings, subject=user.name, role=user.role),
        refresh_token=refresh_token,
        expires_in=settings.jwt.access_token_minutes * 60,
    )


@router.post("/token", response_model=TokenPair)
def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    settings: SettingsDep,
    session: SessionDep,
    throttle: LoginThrottleDep,
) -> TokenPair:
    """OAuth2 password flow; repeated failures per user or address are throttled (429)."""
    user_key = f"user:{form.username}"
    ip_key = f"ip:{request.client.host if request.client else 'unknown'}"
    wait = throttle.retry_after(user_key) or throttle.retry_after(
        ip_key, throttle.max_failures * IP_LIMIT_FACTOR
    )
    if wait is not None:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"too many failed sign-ins; try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )
    user = authenticate(session, form.username, form.password)
    # A disabled account answers exactly as a wrong password does, and counts as a failure, so
    # neither the answer nor the throttle tells whether the password was right (G1).
    if user is None or user.disabled:
        throttle.record_failure(user_key)
        throttle.record_failure(ip_key)
        raise unauthorized(BAD_CREDENTIALS)
    throttle.reset(user_key)
    return _token_pair(settings, user, issue_refresh_token(session, user, settings))


@router.post("/refresh", response_model=TokenPair)
def refresh(body: RefreshRequest, settings: SettingsDep, session: SessionDep) -> TokenPair:
    """Spends a refresh token for a new pair; a reused token revokes its whole family."""
    outcome = rotate_refresh_token(session, body.refresh_token, settings)
    if isinstance(outcome, Refused):
        # Commit the revocation before refusing: raising would roll it back.
        session.commit()
        raise unauthorized(outcome.reason)
    return _token_pair(settings, outcome.user, outcome.refresh_token)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(body: RefreshRequest, session: SessionDep) -> Response:
    """Ends the session the refresh token belongs to; access tokens expire on their own."""
    revoke_family_of(session, body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=Me)
def read_me(user: CurrentUser) -> Me:
    return Me(name=user.name, role=user.role, token_expires_at=user.token_expires_at)
