"""What can go wrong talking to the gateway, one exception class per thing a user can act on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

AnswerT = TypeVar("AnswerT", bound=BaseModel)


class LakebookError(Exception):
    """A gateway request failed; `status` is the HTTP status (None when no answer came)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class LakebookConnectionError(LakebookError):
    """The gateway did not answer at all (down, wrong URL, network)."""


class LakebookCredentialsError(LakebookError):
    """No usable token: missing, unreadable, too widely readable or expired credential file."""


class LakebookAuthError(LakebookError):
    """401: the token is missing, invalid or expired."""


class LakebookPermissionError(LakebookError):
    """403: the user's role may not do this."""


class LakebookNotFound(LakebookError):
    """404: no such flow or run (or it belongs to someone else)."""


class LakebookConflict(LakebookError):
    """409: the request does not fit the current state (e.g. cancelling a finished run)."""


@dataclass(frozen=True)
class FieldError:
    """One parameter the gateway refused, and why."""

    field: str
    message: str


class LakebookValidationError(LakebookError):
    """422: parameters failed the flow's schema; `errors` lists each field and its problem."""

    def __init__(self, message: str, errors: list[FieldError], *, status: int = 422) -> None:
        super().__init__(message, status=status)
        self.errors = errors

    @property
    def fields(self) -> dict[str, str]:
        return {error.field: error.message for error in self.errors}


class LakebookRateLimited(LakebookError):
    """429: too many requests; `retry_after` is the wait in seconds the gateway asked for."""

    def __init__(self, message: str, retry_after: float | None) -> None:
        super().__init__(message, status=429)
        self.retry_after = retry_after


class LakebookUnavailable(LakebookError):
    """502/503/504: the gateway is up but a service behind it (Prefect, the lake) is not."""


class LakebookTimeout(LakebookError):
    """A run did not finish within the time the caller allowed."""


STATUS_ERRORS: dict[int, type[LakebookError]] = {
    401: LakebookAuthError,
    403: LakebookPermissionError,
    404: LakebookNotFound,
    409: LakebookConflict,
    502: LakebookUnavailable,
    503: LakebookUnavailable,
    504: LakebookUnavailable,
}


def error_from_response(response: httpx.Response) -> LakebookError:
    """The exception for a gateway error answer, carrying the gateway's own message."""
    detail = _detail(response)
    where = f"{response.request.method} {response.request.url.path}"
    status = response.status_code
    if status == 422 and isinstance(detail, list):
        errors = [_field_error(item) for item in detail if isinstance(item, dict)]
        listed = "; ".join(f"{error.field}: {error.message}" for error in errors)
        return LakebookValidationError(f"invalid parameters ({listed})", errors)
    message = detail if isinstance(detail, str) else str(detail)
    if status == 429:
        retry_after = _seconds(response.headers.get("Retry-After"))
        return LakebookRateLimited(f"{message} ({where})", retry_after)
    if status == 401:
        message += (
            " — get a fresh token: `lakebook login`, restart `lakebook up` or set LAKEBOOK_TOKEN"
        )
    error_class = STATUS_ERRORS.get(status, LakebookError)
    return error_class(f"{message} ({where} answered {status})", status=status)


def _detail(response: httpx.Response) -> Any:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip() or response.reason_phrase
    return body.get("detail", body) if isinstance(body, dict) else body


def _field_error(item: dict[str, Any]) -> FieldError:
    # FastAPI's loc is e.g. ["body", "parameters", "message"]: the parameter name is what follows
    # "parameters"; other locations (a malformed body) keep their whole path.
    loc = [str(part) for part in item.get("loc", [])]
    field = ".".join(loc[loc.index("parameters") + 1 :]) if "parameters" in loc else ".".join(loc)
    return FieldError(field=field or "body", message=str(item.get("msg", "invalid")))


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def parse_answer(model: type[AnswerT], body: Any) -> AnswerT:
    """A gateway answer as its API model (lakebook.common.api); one the kernel cannot read is a
    LakebookError, not a traceback: the gateway and the kernel run different lakebook versions."""
    try:
        return model.model_validate(body)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the body"
        raise LakebookError(
            f"the gateway's answer is not the {model.__name__} this kernel expects "
            f"({where}: {first['msg']}); are the gateway and the kernel the same lakebook version?"
        ) from None


def parse_answers(model: type[AnswerT], body: Any) -> list[AnswerT]:
    """parse_answer() for an answer that is a list of models."""
    if not isinstance(body, list):
        raise LakebookError(
            f"the gateway's answer is not the list of {model.__name__} this kernel expects; "
            "are the gateway and the kernel the same lakebook version?"
        )
    return [parse_answer(model, item) for item in body]
