"""Typed dependencies of the API routes: settings and the signed-in user."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import OAuth2PasswordBearer

from lakebook.common.settings import Settings, SettingsError, get_settings
from lakebook.gateway.core.security import InvalidTokenError, TokenClaims, decode_access_token

API_PREFIX = "/api/v1"

# auto_error=False: a missing token gets our own 401 message rather than FastAPI's default.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl=f"{API_PREFIX}/auth/token", auto_error=False)

SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_current_user(
    settings: SettingsDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> TokenClaims:
    """The caller, from a valid bearer token; 401 otherwise."""
    if not token:
        raise _unauthorized("not signed in: send 'Authorization: Bearer <access token>'")
    try:
        return decode_access_token(settings, token)
    except InvalidTokenError as error:
        raise _unauthorized(str(error)) from error
    except SettingsError as error:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, f"gateway is misconfigured: {error}"
        ) from error


CurrentUser = Annotated[TokenClaims, Depends(get_current_user)]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"}
    )
