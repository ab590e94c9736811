"""Forwarding panel requests to the gateway with the user's token (the browser never holds it)."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

import tornado.web
from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from lakebook.common.settings import SettingsError, load_settings

API_PREFIX = "/api/v1"
REQUEST_TIMEOUT_SECONDS = 10.0
# Gateway answers the panel can act on keep their status; the rest (401/403: lakebook's own token
# was refused, 5xx) become 502 so the browser never mistakes them for Jupyter's own auth errors.
FORWARDED_STATUSES = frozenset({400, 404, 409, 413, 415, 422, 429})


class GatewayError(tornado.web.HTTPError):
    """An error answer for the panel: status, a one-line message, and optional field errors."""

    def __init__(self, status: int, message: str, fields: list[dict[str, str]] | None = None):
        super().__init__(status, "%s", message)
        self.message = message
        self.fields = fields or []


def gateway_url() -> str:
    """The gateway base URL from lakebook's settings (LAKEBOOK_GATEWAY_URL or the embedded one)."""
    try:
        return load_settings().gateway_base_url
    except SettingsError as error:
        raise GatewayError(
            HTTPStatus.SERVICE_UNAVAILABLE, f"lakebook settings are invalid: {error}"
        ) from error


def gateway_token() -> str:
    """The user's gateway token: LAKEBOOK_TOKEN, else the credential file `lakebook up` wrote."""
    # Imported here: the kernel package pulls in Polars, which the server needs only for this.
    from lakebook.kernel.credentials import find_credentials
    from lakebook.kernel.errors import LakebookCredentialsError

    try:
        return find_credentials(load_settings().data_dir).token
    except (LakebookCredentialsError, SettingsError) as error:
        raise GatewayError(HTTPStatus.SERVICE_UNAVAILABLE, str(error)) from error


async def call_gateway(method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """Calls `{gateway}/api/v1{path}`; returns (status, JSON) or raises a GatewayError."""
    url = gateway_url()
    headers = {"Authorization": f"Bearer {gateway_token()}", "Accept": "application/json"}
    payload = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        payload = json.dumps(body)
    try:
        response = await AsyncHTTPClient().fetch(
            f"{url}{API_PREFIX}{path}",
            method=method,
            headers=headers,
            body=payload,
            connect_timeout=REQUEST_TIMEOUT_SECONDS,
            request_timeout=REQUEST_TIMEOUT_SECONDS,
            follow_redirects=False,
            raise_error=False,
        )
    except (OSError, HTTPClientError) as error:
        raise GatewayError(
            HTTPStatus.BAD_GATEWAY,
            f"cannot reach the lakebook gateway at {url} ({error}); is `lakebook up` running, "
            "and is LAKEBOOK_GATEWAY_URL right?",
        ) from error
    if response.code == 599:  # tornado's code for a connection that failed or timed out
        raise GatewayError(
            HTTPStatus.BAD_GATEWAY,
            f"cannot reach the lakebook gateway at {url} ({response.error}); is `lakebook up` "
            "running, and is LAKEBOOK_GATEWAY_URL right?",
        )
    data = _json_or_text(response.body)
    if response.code >= 400:
        raise _error_from_gateway(response.code, data, f"{method} {API_PREFIX}{path}")
    return response.code, data


def _json_or_text(raw: bytes) -> Any:
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text) if text else None
    except ValueError:
        return text.strip()


def _error_from_gateway(status: int, data: Any, where: str) -> GatewayError:
    detail = data.get("detail", data) if isinstance(data, dict) else data
    if status == HTTPStatus.UNPROCESSABLE_ENTITY and isinstance(detail, list):
        fields = [_field_error(item) for item in detail if isinstance(item, dict)]
        listed = "; ".join(f"{item['field']}: {item['message']}" for item in fields)
        return GatewayError(status, f"invalid parameters ({listed})", fields)
    message = detail if isinstance(detail, str) else json.dumps(detail)
    if status in FORWARDED_STATUSES:
        return GatewayError(status, message)
    if status == HTTPStatus.UNAUTHORIZED:
        message += " (lakebook's token was refused: restart `lakebook up` or set LAKEBOOK_TOKEN)"
    return GatewayError(HTTPStatus.BAD_GATEWAY, f"gateway answered {status} to {where}: {message}")


def _field_error(item: dict[str, Any]) -> dict[str, str]:
    # FastAPI's loc is e.g. ["body", "parameters", "message"]: the field follows "parameters".
    loc = [str(part) for part in item.get("loc", [])]
    field = ".".join(loc[loc.index("parameters") + 1 :]) if "parameters" in loc else ".".join(loc)
    return {"field": field or "body", "message": str(item.get("msg", "invalid"))}
