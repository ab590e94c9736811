"""What can go wrong talking to the gateway, one exception class per thing a user can act on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

AnswerT = TypeVar("AnswerT", bound=BaseModel)


class LakebookError(Exception):
    """A gateway request failed; `status` is the HTTP status (None when no answer came) and
    `detail` the gateway's own words, without the request and hints `message` adds."""

    def __init__(
        self, message: str, *, status: int | None = None, detail: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.detail = message if detail is None else detail


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

    def __init__(
        self, message: str, retry_after: float | None, *, detail: str | None = None
    ) -> None:
        super().__init__(message, status=429, detail=detail)
        self.retry_after = retry_after


class LakebookUnavailable(LakebookError):
    """502/503/504: the gateway is up but a service behind it (Prefect, the lake) is not."""


class LakebookTimeout(LakebookError):
    """A run did not finish within the time the caller allowed."""


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
