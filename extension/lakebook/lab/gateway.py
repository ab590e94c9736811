"""Forwarding panel requests to the gateway with the user's token (the browser never holds it)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import tornado.web

from lakebook.common.settings import SettingsError, get_settings
from lakebook.kernel.credentials import Credentials, default_credentials
from lakebook.kernel.errors import (
    LakebookCredentialsError,
    LakebookError,
    LakebookValidationError,
)
from lakebook.kernel.gateway_http import API_PREFIX, GatewayHTTP, json_body

# Gateway answers the panel can act on keep their status; the rest (401/403: lakebook's own token
# was refused, 5xx) become 502 so the browser never mistakes them for Jupyter's own auth errors.
FORWARDED_STATUSES = frozenset({400, 404, 409, 413, 415, 422, 429})
MULTI_USER_SIGN_IN = (
    "this workspace is multi-user: sign in with your own lakebook account to use the gateway"
)


class GatewayError(tornado.web.HTTPError):
    """An error answer for the panel: status, a one-line message, and optional field errors."""

    def __init__(self, status: int, message: str, fields: list[dict[str, str]] | None = None):
        super().__init__(status, "%s", message)
        self.message = message
        self.fields = fields or []


def gateway_url() -> str:
    """The gateway base URL from lakebook's settings (LAKEBOOK_GATEWAY_URL or the embedded one)."""
    try:
        return get_settings().gateway.base_url
    except SettingsError as error:
        raise GatewayError(
            HTTPStatus.SERVICE_UNAVAILABLE, f"lakebook settings are invalid: {error}"
        ) from error


def gateway_token() -> str:
    """The server's default gateway token (for Jupyter users who did not sign in)."""
    return default_gateway_credentials().token


def default_gateway_credentials() -> Credentials:
    """LAKEBOOK_TOKEN, else the credential file `lakebook up` wrote; never the panel sign-in's
    file kernels read, which belongs to whoever signed in, not to every Jupyter user. A
    multi-user server has no default: 401, so the panel asks the person to sign in."""
    try:
        settings = get_settings()
        if settings.stack.multi_user:
            raise GatewayError(HTTPStatus.UNAUTHORIZED, MULTI_USER_SIGN_IN)
        return default_credentials(settings.data_dir)
    except (LakebookCredentialsError, SettingsError) as error:
        raise GatewayError(HTTPStatus.SERVICE_UNAVAILABLE, str(error)) from error


async def gateway_is_healthy(url: str) -> bool:
    """Whether the gateway at `url` answers its liveness probe."""
    http = GatewayHTTP(url)
    try:
        return await http.ahealthy()
    finally:
        http.close()


async def call_gateway(
    method: str, path: str, *, token: str | None = None, **kwargs: Any
) -> tuple[int, Any]:
    """Calls `{gateway}/api/v1{path}` with `token`, else the server's default token (httpx
    keeps tornado's event loop free); returns (status, JSON) or raises a GatewayError."""
    http = GatewayHTTP(gateway_url(), token or gateway_token())
    try:
        response = await http.asend(method, path, **kwargs)
    except LakebookError as error:
        raise panel_error(error, f"{method} {API_PREFIX}{path}") from error
    finally:
        http.close()
    return response.status_code, json_body(response)


def panel_error(error: LakebookError, where: str) -> GatewayError:
    """The panel's answer for a failed gateway call: statuses it can act on are kept, field
    errors listed, and the rest reported as a bad gateway."""
    if error.status is None:  # no answer at all
        return GatewayError(HTTPStatus.BAD_GATEWAY, error.message)
    if isinstance(error, LakebookValidationError):
        fields = [{"field": item.field, "message": item.message} for item in error.errors]
        return GatewayError(error.status, error.message, fields)
    if error.status in FORWARDED_STATUSES:
        return GatewayError(error.status, error.detail)
    message = error.detail
    if error.status == HTTPStatus.UNAUTHORIZED:
        message += " (lakebook's token was refused: restart `lakebook up` or set LAKEBOOK_TOKEN)"
    return GatewayError(
        HTTPStatus.BAD_GATEWAY, f"gateway answered {error.status} to {where}: {message}"
    )
