"""A flow run seen from the kernel: state, wait, logs, live events, cancel and its result."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote, urlsplit

import polars as pl
from pydantic import PrivateAttr

from lakebook.common.api import (
    TERMINAL_STATES,
    Cancelled,
    LogOut,
    ReportOut,
    ResultOut,
    RunOut,
)
from lakebook.kernel.errors import (
    LakebookConnectionError,
    LakebookError,
    LakebookNotFound,
    LakebookTimeout,
    parse_answer,
    parse_answers,
)
from lakebook.kernel.gateway_http import (
    GatewayHTTP,
    run_cancel_path,
    run_events_path,
    run_logs_path,
    run_path,
    run_report_path,
    run_result_path,
)
from lakebook.kernel.outage import TRANSIENT_ERRORS, Outage, event_identity

if TYPE_CHECKING:
    from lakebook.lake.publisher import LakePublisher

logger = logging.getLogger(__name__)


class RunClient(Protocol):
    """What a Run needs of the client that launched it (LakebookClient is one)."""

    @property
    def http(self) -> GatewayHTTP: ...

    def lake(self) -> LakePublisher: ...


def read_run_info(http: GatewayHTTP, run_id: str) -> RunOut:
    """What the gateway says of a run now."""
    return parse_answer(RunOut, http.request("GET", run_path(run_id)))


@dataclass(frozen=True)
class RunEvent:
    """One server-sent event: `kind` is state, log, error or end; `data` its JSON payload."""

    kind: str
    data: dict[str, Any]


class EventParser:
    """Turns SSE lines into RunEvents (comments such as keep-alives are skipped)."""

    def __init__(self) -> None:
        self._kind: str | None = None
        self._data: list[str] = []

    def feed(self, line: str) -> RunEvent | None:
        if line.startswith("event:"):
            self._kind = line.removeprefix("event:").strip()
        elif line.startswith("data:"):
            self._data.append(line.removeprefix("data:").strip())
        elif line == "" and self._kind is not None:
            event = RunEvent(self._kind, json.loads("\n".join(self._data) or "{}"))
            self._kind, self._data = None, []
            return event
        return None


def _first_time(event: RunEvent | None, seen: set[tuple[str, ...]]) -> RunEvent | None:
    """The event, unless a stream opened earlier already delivered it."""
    if event is None:
        return None
    identity = event_identity(event.kind, event.data)
    if identity is not None:
        if identity in seen:
            return None
        seen.add(identity)
    return event


class Run:
    """A launched flow run; every property that says "now" asks the gateway afresh."""

    def __init__(self, client: RunClient, run_id: str, flow_name: str) -> None:
        self.client = client
        self.id = run_id
        self.flow_name = flow_name

    def __repr__(self) -> str:
        return f"Run(id={self.id!r}, flow={self.flow_name!r})"

    def info(self) -> RunOut:
        return read_run_info(self.client.http, self.id)

    async def ainfo(self) -> RunOut:
        """info() without blocking the event loop."""
        return parse_answer(RunOut, await self.client.http.arequest("GET", run_path(self.id)))

    @property
    def state(self) -> str:
        """The run's current state type (SCHEDULED, PENDING, RUNNING, COMPLETED, FAILED, ...)."""
        return self.info().state

    def wait(self, timeout: float | None = None, poll: float = 0.5) -> str:
        """Blocks until the run ends and returns its final state; raises LakebookTimeout.
        A completed run that left input rows out says so in a warning (`rejects_note()`).
        A gateway away for a while (restarting, or 503 while Prefect restarts) is waited out
        (outage.py)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        outage = Outage()
        state = "unknown"
        while True:
            try:
                state = self.state
                outage.over()
            except TRANSIENT_ERRORS as error:
                pause = outage.pause_after(error)
                if deadline is not None and time.monotonic() + pause >= deadline:
                    raise LakebookTimeout(
                        f"run {self.id} of {self.flow_name}: no answer within {timeout} s ({error})"
                    ) from error
                time.sleep(pause)
                continue
            if state in TERMINAL_STATES:
                if state == "COMPLETED":
                    self._warn_of_rejects()
                return state
            if deadline is not None and time.monotonic() >= deadline:
                raise LakebookTimeout(
                    f"run {self.id} of {self.flow_name} is still {state} after {timeout} s"
                )
            time.sleep(poll)

    async def await_completion(self, timeout: float | None = None, poll: float = 0.5) -> str:
        """wait() for notebooks that use `await`: the kernel's event loop stays free."""
        return await asyncio.to_thread(self.wait, timeout, poll)

    def logs(self, limit: int = 200, offset: int = 0) -> list[LogOut]:
        """The run's log lines, oldest first, one page.

        Prefect ships logs in batches: the last lines can arrive a moment after the run ends.
        """
        body = self.client.http.request(
            "GET", run_logs_path(self.id), params={"limit": limit, "offset": offset}
        )
        return parse_answers(LogOut, body)

    def cancel(self) -> str:
        """Asks the gateway to cancel the run; returns the state it moved to."""
        cancelled = self.client.http.request("POST", run_cancel_path(self.id))
        return parse_answer(Cancelled, cancelled).state

    def events(self) -> Iterator[RunEvent]:
        """Live events until the run ends (`end` is the last one); close it to stop early.
        A stream that breaks (a gateway restart) is opened again with back-off, and what the
        new one sends again is skipped (outage.py)."""
        seen: set[tuple[str, ...]] = set()
        outage = Outage()
        while True:
            try:
                with self.client.http.stream(run_events_path(self.id)) as response:
                    outage.over()
                    parser = EventParser()
                    for line in response.iter_lines():
                        event = _first_time(parser.feed(line), seen)
                        if event is None:
                            continue
                        yield event
                        if event.kind == "end":
                            return
                broken: LakebookError = self._stream_ended_early()
            except TRANSIENT_ERRORS as error:
                broken = error
            time.sleep(outage.pause_after(broken))

    async def aevents(self) -> AsyncIterator[RunEvent]:
        """events() for asyncio: cancelling the consuming task closes the stream at once."""
        seen: set[tuple[str, ...]] = set()
        outage = Outage()
        while True:
            try:
                async with self.client.http.astream(run_events_path(self.id)) as response:
                    outage.over()
                    parser = EventParser()
                    async for line in response.aiter_lines():
                        event = _first_time(parser.feed(line), seen)
                        if event is None:
                            continue
                        yield event
                        if event.kind == "end":
                            return
                broken: LakebookError = self._stream_ended_early()
            except TRANSIENT_ERRORS as error:
                broken = error
            await asyncio.sleep(outage.pause_after(broken))

    def _stream_ended_early(self) -> LakebookConnectionError:
        return LakebookConnectionError(
            f"the gateway ended the event stream of run {self.id} before the run ended"
        )

    def published(self, preview_rows: int = 20) -> RunResult:
        """What the run published, as the gateway describes it (schema, rows, download URL)."""
        body = self.client.http.request(
            "GET", run_result_path(self.id), params={"rows": preview_rows}
        )
        return RunResult.read(body, self.client)

    def rejects_note(self) -> str | None:
        """`3 rows rejected, e.g. line 7: 3 of 8 fields` when the run published a dataset and
        left input rows out of it (`published()` has the count and a sample); else None."""
        try:
            return self.published(preview_rows=0).rejects_note
        except LakebookNotFound:
            return None  # nothing published: a notebook run, a flow that publishes no dataset

    def _warn_of_rejects(self) -> None:
        try:
            note = self.rejects_note()
        except LakebookError as error:
            logger.debug("could not ask run %s for its rejected rows: %s", self.id, error)
            return
        if note is not None:
            logger.warning("run %s of %s: %s", self.id, self.flow_name, note)

    def report(self) -> ReportOut:
        """A `run_notebook` run's published report: its status, failing cell, parameters and
        short-lived download URLs of the executed notebook and its HTML."""
        return parse_answer(ReportOut, self.client.http.request("GET", run_report_path(self.id)))

    def result(self, dataset: str | None = None) -> pl.LazyFrame:
        """The run's published output as a LazyFrame, read through the gateway's download URL.

        The gateway checks the caller may see the run and signs a short-lived URL, so the
        kernel needs no lake keys. `dataset`, if given, must be the dataset the run published.
        """
        published = self.published(preview_rows=0)
        if dataset is not None and dataset != published.dataset:
            raise LakebookNotFound(
                f"run {self.id} of {self.flow_name} published dataset {published.dataset!r}, "
                f"not {dataset!r}"
            )
        return published.scan()


class RunResult(ResultOut):
    """The gateway's ResultOut, with the client that asked for it so scan() can read the data."""

    _client: RunClient = PrivateAttr()

    @classmethod
    def read(cls, body: Any, client: RunClient) -> RunResult:
        result = parse_answer(cls, body)
        result._client = client
        return result

    def scan(self) -> pl.LazyFrame:
        """A LazyFrame over the data: the presigned URL, or the file of a local-folder lake.

        Polars reads a presigned S3 URL as plain HTTP(S) (range requests, no keys); glob=False
        keeps the `?X-Amz-...` query string from being read as a glob pattern. The URL expires
        (see download_expires_at): collect within that time or ask again.
        """
        if self.download_url is not None:
            return pl.scan_parquet(self.download_url, glob=False)
        if self.data_uri.startswith("file://"):
            # A local-folder lake has nothing to sign: the kernel shares the gateway's disk.
            return pl.scan_parquet(unquote(urlsplit(self.data_uri).path), glob=False)
        # A gateway that cannot sign URLs: read with the kernel's own lake settings, if any.
        return self._client.lake().scan(self.dataset, run_id=self.run_id)
