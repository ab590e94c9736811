"""Signing in from a terminal or a notebook: `lakebook login` / `%lakebook login` exchange a
password for tokens and keep them in the credential file (mode 0600) that `connect()` reads;
an expired access token is renewed there with the refresh token, without a password."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from lakebook.common.api import RefreshRequest, TokenPair
from lakebook.common.private_files import write_private_json
from lakebook.kernel.credentials import CREDENTIALS_FILE_NAME, Credentials
from lakebook.kernel.errors import (
    LakebookConnectionError,
    LakebookCredentialsError,
    LakebookError,
    error_from_response,
    parse_answer,
)

AUTH_PREFIX = "/api/v1/auth"
_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def login(gateway_url: str, user: str, password: str, data_dir: Path) -> Credentials:
    """Signs in and saves the tokens; a wrong password raises LakebookAuthError."""
    form = {"username": user, "password": password}
    pair = _post(gateway_url, "/token", data=form)
    return _save(data_dir / CREDENTIALS_FILE_NAME, gateway_url, user, pair)


def refresh(path: Path, credentials: Credentials) -> Credentials:
    """Spends the saved refresh token for a new pair and saves it (refresh tokens rotate)."""
    if not credentials.refresh_token or credentials.gateway_url is None:
        raise LakebookCredentialsError(
            f"the token in {path} has expired and cannot be renewed; run `lakebook login`"
        )
    try:
        request = RefreshRequest(refresh_token=credentials.refresh_token)
        pair = _post(credentials.gateway_url, "/refresh", json=request.model_dump())
    except LakebookConnectionError:
        raise
    except LakebookError as error:  # refused: the session ended (logout, reuse, expiry)
        raise LakebookCredentialsError(
            f"your session has ended ({error.message}); "
            "run `lakebook login` (or `%lakebook login`) again"
        ) from None
    return _save(path, credentials.gateway_url, credentials.user, pair)


def _post(gateway_url: str, path: str, **body: Any) -> TokenPair:
    url = gateway_url.rstrip("/") + AUTH_PREFIX + path
    try:
        response = httpx.post(url, timeout=_TIMEOUT, **body)
    except httpx.TransportError as error:
        raise LakebookConnectionError(
            f"cannot reach the lakebook gateway at {gateway_url} ({error!r})"
        ) from error
    if response.is_error:
        raise error_from_response(response)
    return parse_answer(TokenPair, response.json())


def _save(path: Path, gateway_url: str, user: str | None, pair: TokenPair) -> Credentials:
    expires_at = datetime.now(UTC) + timedelta(seconds=pair.expires_in)
    write_private_json(
        path,
        {
            "gateway_url": gateway_url,
            "user": user,
            "access_token": pair.access_token,
            "refresh_token": pair.refresh_token,
            "expires_at": expires_at.isoformat(),
        },
    )
    return Credentials(
        token=pair.access_token,
        source=str(path),
        gateway_url=gateway_url,
        user=user,
        expires_at=expires_at,
        refresh_token=pair.refresh_token,
    )
