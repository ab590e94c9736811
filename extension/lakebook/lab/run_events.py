"""GET /lakebook/runs/{id}/events: the gateway's server-sent events of a run, relayed to the
browser as they arrive, each event's data checked through its wire model.

The relay runs in a task of its own so that a browser going away (on_connection_close) cancels
it even while it waits for the gateway's next event; cancelling it closes the upstream request,
which ends the gateway's subscription to the run.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import tornado.web
from pydantic import ValidationError
from tornado.iostream import StreamClosedError

from lakebook.common.api import LogOut, RunEventEnd, RunEventError, StateOut, WireModel
from lakebook.kernel.errors import LakebookError
from lakebook.kernel.gateway_http import API_PREFIX, run_events_path
from lakebook.lab.base import LakebookHandler
from lakebook.lab.gateway import panel_error

# The data model of each event kind the gateway sends (gateway/run_events.py).
EVENT_DATA: dict[str, type[WireModel]] = {
    "state": StateOut,
    "log": LogOut,
    "error": RunEventError,
    "end": RunEventEnd,
}


@dataclass(frozen=True)
class ServerSentEvent:
    """One event of a stream; `kind` None is a comment line (the gateway's keep-alive)."""

    kind: str | None
    data: str


async def server_sent_events(lines: AsyncIterator[str]) -> AsyncIterator[ServerSentEvent]:
    """The events of a text/event-stream, line by line (the subset of the format the gateway
    writes: `event:`, `data:` and `:` comment lines, a blank line ending each event)."""
    kind = "message"
    data: list[str] = []
    async for line in lines:
        if not line:
            if data:
                yield ServerSentEvent(kind, "\n".join(data))
            kind, data = "message", []
        elif line.startswith(":"):
            yield ServerSentEvent(None, line[1:].strip())
        else:
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "event":
                kind = value
            elif field == "data":
                data.append(value)


def encode_event(event: ServerSentEvent) -> str | None:
    """The event as the browser gets it: its data re-encoded through its model, an `error`
    event when the data does not fit, None for a kind this version does not know."""
    if event.kind is None:
        return f": {event.data}\n\n"
    model = EVENT_DATA.get(event.kind)
    if model is None:
        return None
    try:
        data = model.model_validate_json(event.data).model_dump_json()
    except ValidationError as error:
        problem = RunEventError(
            message=f"the gateway sent a {event.kind!r} event lakebook cannot read: "
            f"{error.errors()[0]['msg']}"
        )
        return f"event: error\ndata: {problem.model_dump_json()}\n\n"
    return f"event: {event.kind}\ndata: {data}\n\n"


class RunEventsHandler(LakebookHandler):
    """Relays `state`, `log`, `error` and `end` events; closed when the browser goes away."""

    _relay: asyncio.Task[None] | None = None

    @tornado.web.authenticated
    async def get(self, run_id: str) -> None:
        self._relay = asyncio.create_task(self._forward(run_id))
        await asyncio.wait({self._relay})
        if not self._relay.cancelled():
            self._relay.result()  # an error before the stream began: a JSON error answer

    def on_connection_close(self) -> None:
        if self._relay is not None:
            self._relay.cancel()
        super().on_connection_close()

    async def _forward(self, run_id: str) -> None:
        path = run_events_path(run_id)
        started = False
        http = await self.gateway_client()
        try:
            async with http.astream(path) as response:
                self.set_header("Content-Type", "text/event-stream")
                self.set_header("Cache-Control", "no-cache")
                self.set_header("X-Accel-Buffering", "no")  # no proxy may hold events back
                await self.flush()  # the browser's EventSource opens on the headers
                started = True
                async for event in server_sent_events(response.aiter_lines()):
                    encoded = encode_event(event)
                    if encoded is not None:
                        self.write(encoded)
                        await self.flush()
                    if event.kind == "end":
                        return
        except StreamClosedError:
            return  # the browser went away between two events
        except LakebookError as error:
            if not started:
                raise panel_error(error, f"GET {API_PREFIX}{path}") from error
            # The stream is open: the browser hears of the failure as an event, then the end.
            problem = RunEventError(message=error.message)
            self.write(f"event: error\ndata: {problem.model_dump_json()}\n\n")
        finally:
            http.close()


EVENT_ROUTES: list[tuple[tuple[str, ...], type[tornado.web.RequestHandler]]] = [
    (("runs", "([^/]+)", "events"), RunEventsHandler),
]
