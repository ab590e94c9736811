"""GET/POST/DELETE /lakebook/session: who the panel acts as, signing in, signing out.

Answers never carry a token: the browser learns the user's name and role, nothing it could
replay at the gateway."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, Literal

import tornado.web
from pydantic import BaseModel, ConfigDict, Field

from lakebook.common.api import Me
from lakebook.kernel.credentials import TOKEN_VARIABLE
from lakebook.kernel.errors import LakebookError, LakebookRateLimited, parse_answer
from lakebook.kernel.gateway_http import ME_PATH, GatewayHTTP
from lakebook.lab.base import LakebookHandler
from lakebook.lab.gateway import (
    GatewayError,
    default_gateway_credentials,
    gateway_is_healthy,
    gateway_url,
    panel_error,
)
from lakebook.lab.session import REFUSALS, SessionStore, SignInNeeded, session_store

Source = Literal["sign-in", "environment", "operator"]


class SignInRequest(BaseModel):
    """POST /lakebook/session: the panel's sign-in form."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=256)
    password: str = Field(min_length=1, max_length=1024)


class SessionUser(BaseModel):
    name: str
    role: str


class SessionView(BaseModel):
    """The answer of GET and POST session: who gateway calls are made as, and from where."""

    signed_in: bool
    user: SessionUser | None = None
    source: Source | None = None
    gateway_url: str
    gateway_ok: bool
    message: str | None = None


class Throttled(GatewayError):
    """429 with the gateway's Retry-After, so the panel can say how long to wait."""

    def __init__(self, error: LakebookRateLimited) -> None:
        super().__init__(HTTPStatus.TOO_MANY_REQUESTS, error.detail)
        self.retry_after = error.retry_after


def sign_in_error(error: LakebookError) -> GatewayError:
    """A refused sign-in is the panel's 401 (a disabled account too: 403 would read as
    Jupyter refusing the request); a throttle stays 429; the rest as for any gateway call."""
    if isinstance(error, LakebookRateLimited):
        return Throttled(error)
    if error.status in REFUSALS:
        return GatewayError(HTTPStatus.UNAUTHORIZED, error.detail)
    return panel_error(error, "sign-in")


async def session_view(store: SessionStore, owner: str) -> SessionView:
    """What GET session answers for this Jupyter user; a due renewal happens here too."""
    url = gateway_url()
    ok = await gateway_is_healthy(url)
    down = None if ok else f"cannot reach the lakebook gateway at {url}"
    signed_out = SessionView(signed_in=False, gateway_url=url, gateway_ok=ok, message=down)
    if store.session(owner) is not None:
        try:
            await store.access_token(owner)
        except SignInNeeded as ended:
            return signed_out.model_copy(update={"message": ended.message})
        except LakebookError as error:  # gateway down while renewing: the session stays
            down = error.message
        session = store.session(owner)
        if session is not None:
            user = SessionUser(name=session.user, role=session.role)
            return SessionView(
                signed_in=True,
                user=user,
                source="sign-in",
                gateway_url=url,
                gateway_ok=ok,
                message=down,
            )
    ended_message = store.ended(owner)
    if ended_message is not None:
        return signed_out.model_copy(update={"message": ended_message})
    return await default_view(signed_out, down)


async def default_view(signed_out: SessionView, down: str | None) -> SessionView:
    """The server's default token (LAKEBOOK_TOKEN or the operator's file), if the gateway
    takes it; the user it belongs to as /auth/me says."""
    try:
        credentials = default_gateway_credentials()
    except GatewayError as missing:
        return signed_out.model_copy(update={"message": missing.message})
    source: Source = "environment" if credentials.source == f"${TOKEN_VARIABLE}" else "operator"
    signed_in = signed_out.model_copy(update={"signed_in": True, "source": source})
    if down is not None:
        return signed_in
    try:
        answer = await GatewayHTTP(signed_out.gateway_url, credentials.token).arequest(
            "GET", ME_PATH
        )
        me = parse_answer(Me, answer)
    except LakebookError as error:
        if error.status not in REFUSALS:
            return signed_in.model_copy(update={"message": error.message})
        refused = f"the gateway refused the token from {credentials.source} ({error.detail})"
        return signed_out.model_copy(update={"message": f"{refused}; sign in"})
    return signed_in.model_copy(update={"user": SessionUser(name=me.name, role=me.role)})


class SessionHandler(LakebookHandler):
    """/lakebook/session: GET who the panel acts as; POST signs in; DELETE signs out."""

    @tornado.web.authenticated
    async def get(self) -> None:
        view = await session_view(session_store(self.settings), self.jupyter_user)
        self.finish(view.model_dump_json())

    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.body_model(SignInRequest)
        store = session_store(self.settings)
        try:
            await store.sign_in(self.jupyter_user, gateway_url(), body.username, body.password)
        except LakebookError as error:
            raise sign_in_error(error) from error
        view = await session_view(store, self.jupyter_user)
        self.finish(view.model_dump_json())

    @tornado.web.authenticated
    async def delete(self) -> None:
        try:
            await session_store(self.settings).sign_out(self.jupyter_user)
        except LakebookError as error:
            raise GatewayError(
                HTTPStatus.BAD_GATEWAY,
                "signed out here, but the gateway could not be told, so the session stays "
                f"valid there until it expires: {error.message}",
            ) from error
        self.set_status(HTTPStatus.NO_CONTENT)
        self.finish()

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc_info = kwargs.get("exc_info")
        error = exc_info[1] if exc_info else None
        if isinstance(error, Throttled) and error.retry_after is not None:
            self.set_header("Retry-After", str(round(error.retry_after)))
        super().write_error(status_code, **kwargs)
