"""The base of every lakebook handler: JSON errors, typed bodies, and gateway calls as the user."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any, TypeVar

import tornado.web
from jupyter_server.base.handlers import APIHandler
from pydantic import BaseModel, ValidationError

from lakebook.kernel.gateway_http import GatewayHTTP
from lakebook.lab.gateway import GatewayError, call_gateway, gateway_url
from lakebook.lab.session import session_store, user_gateway_token

Body = TypeVar("Body", bound=BaseModel)


class LakebookHandler(APIHandler):
    """Answers errors as JSON {"code", "message", "fields"?} and calls the gateway as the user."""

    @property
    def jupyter_user(self) -> str:
        """The Jupyter user (its identity provider's username) a panel sign-in belongs to."""
        return str(self.current_user.username)

    async def gateway_token(self) -> str:
        """This Jupyter user's gateway token: their panel sign-in's, else the server's default
        (none after they signed out: that answers 401, and the panel shows its sign-in form)."""
        return await user_gateway_token(session_store(self.settings), self.jupyter_user)

    async def gateway(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        """`{gateway}/api/v1{path}` with this Jupyter user's gateway token: (status, JSON)."""
        return await call_gateway(method, path, token=await self.gateway_token(), **kwargs)

    async def gateway_client(self) -> GatewayHTTP:
        """A client of the gateway as this Jupyter user (gateway_token()), for what gateway()
        cannot do: a streamed answer."""
        return GatewayHTTP(gateway_url(), await self.gateway_token())

    def body_model(self, model: type[Body]) -> Body:
        """The request body as `model`; 400 when it is not JSON, 422 naming each bad field."""
        try:
            data = json.loads(self.request.body or b"{}")
        except ValueError as error:
            raise GatewayError(HTTPStatus.BAD_REQUEST, f"the body is not JSON: {error}") from error
        try:
            return model.model_validate(data)
        except ValidationError as error:
            fields = [
                {
                    "field": ".".join(str(part) for part in item["loc"]) or "body",
                    "message": item["msg"],
                }
                for item in error.errors()
            ]
            raise GatewayError(
                HTTPStatus.UNPROCESSABLE_ENTITY, "invalid request: see the fields", fields
            ) from error

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Render any error as a small JSON body instead of an HTML page."""
        exc_info = kwargs.get("exc_info")
        message = self._reason
        body: dict[str, Any] = {}
        if exc_info is not None:
            error = exc_info[1]
            if isinstance(error, GatewayError):
                message = error.message
                if error.fields:
                    body["fields"] = error.fields
            elif isinstance(error, tornado.web.HTTPError) and error.log_message:
                message = error.log_message % error.args if error.args else error.log_message
        try:
            code = HTTPStatus(status_code).phrase.lower().replace(" ", "_")
        except ValueError:
            code = "error"
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"code": code, "message": message, **body}))
