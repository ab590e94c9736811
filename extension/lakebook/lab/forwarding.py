"""Gateway answers for the panel, parsed through the wire models (never passed on raw), and
query strings read into typed models."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from lakebook.lab.base import LakebookHandler
from lakebook.lab.gateway import GatewayError

Query = TypeVar("Query", bound=BaseModel)


def field_errors(error: ValidationError) -> list[dict[str, str]]:
    """pydantic's errors as the panel's `fields`: a dotted path and a message each."""
    return [
        {"field": ".".join(str(part) for part in item["loc"]) or "query", "message": item["msg"]}
        for item in error.errors()
    ]


def query_model(handler: LakebookHandler, model: type[Query]) -> Query:
    """The query string as `model` (its fields are the parameters read; others are ignored);
    422 naming each bad parameter, as FastAPI answers."""
    given = {
        name: handler.get_query_argument(name)
        for name in model.model_fields
        if name in handler.request.query_arguments
    }
    try:
        return model.model_validate(given)
    except ValidationError as error:
        raise GatewayError(
            HTTPStatus.UNPROCESSABLE_ENTITY, "invalid query: see the fields", field_errors(error)
        ) from error


def checked_answer(answer: TypeAdapter[Any], body: Any, where: str) -> bytes:
    """The gateway's answer re-encoded through its model; 502 when it does not fit (a gateway of
    another version), naming the first field that does not."""
    return answer.dump_json(checked_model(answer, body, where))


def checked_model(answer: TypeAdapter[Any], body: Any, where: str) -> Any:
    """The gateway's answer read into its model; the same 502 as `checked_answer` when it does
    not fit."""
    try:
        return answer.validate_python(body)
    except ValidationError as error:
        first = error.errors()[0]
        place = ".".join(str(part) for part in first["loc"]) or "body"
        raise GatewayError(
            HTTPStatus.BAD_GATEWAY,
            f"the gateway's answer to {where} is not what lakebook expects "
            f"({error.error_count()} problem(s); {place}: {first['msg']})",
        ) from error


async def forward(
    handler: LakebookHandler,
    answer: TypeAdapter[Any] | None,
    method: str,
    path: str,
    **kwargs: Any,
) -> None:
    """Calls the gateway as the user and answers with its status and its checked body
    (`answer` None: an empty answer, as a 204)."""
    status, body = await handler.gateway(method, path, **kwargs)
    handler.set_status(status)
    if answer is None:
        handler.finish()
        return
    handler.set_header("Content-Type", "application/json")
    handler.finish(checked_answer(answer, body, f"{method} {path}"))
