"""A cap on request bodies, applied before routing, authentication and parsing (pure ASGI).

A declared `Content-Length` over the cap is refused before one byte is read; a body without one
(chunked) is counted as it arrives and refused once past the cap, so no route ever holds more
than the cap in memory. Routes that stream their own body under their own cap (uploads) are
left to it.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lakebook.common.settings_sections import GatewaySettings

# The connection is closed after a 413: the rest of the body is never read.
CLOSE = {"Connection": "close"}
LIMIT_VARIABLE = "LAKEBOOK_" + GatewaySettings.variable_names()["request_body_max_bytes"].upper()


class BodyTooLargeError(HTTPException):
    """Raised from `receive` once a body passes the cap: FastAPI re-raises an HTTPException met
    while it reads a body, so the route answers 413 like any HTTPException."""


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, streamed_paths: frozenset[str]) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.streamed_paths = streamed_paths
        self.detail = (
            f"request body is larger than the limit of {max_bytes} bytes; send less (uploads go "
            f"to POST /api/v1/lake/uploads), or raise {LIMIT_VARIABLE}"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.streamed_paths:
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLargeError(413, self.detail, headers=CLOSE)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLargeError:
            # Read outside FastAPI's body parsing (nothing answered it): answered here.
            if response_started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse({"detail": self.detail}, 413, headers=CLOSE)
        await response(scope, receive, send)
