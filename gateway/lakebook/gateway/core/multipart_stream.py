"""Reads one file out of a multipart/form-data body as it arrives, counting bytes as it goes.

Starlette's form parser spools the whole body to a temporary file before the endpoint runs, so a
size cap checked afterwards still lets a chunked upload (no Content-Length) fill the disk. This
reader stops at the cap, holds at most a few chunks in memory, and hands the file on in pieces.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header


class UploadFormError(ValueError):
    """A body that is not the multipart form the endpoint expects; the message says why."""


class UploadTooLargeError(Exception):
    """More bytes than the limit allows."""


class _FilePartCollector:
    """Parser callbacks: remember the headers of each part, keep the data of the file part."""

    def __init__(self, field: str) -> None:
        self.field = field.encode()
        self.found = False
        self.done = False
        self.filename: str | None = None
        self.pending: deque[bytes] = deque()
        self._in_file = False
        self._headers: dict[bytes, bytes] = {}
        self._name = b""
        self._value = b""

    def on_part_begin(self) -> None:
        self._headers = {}

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._name.lower()] = self._value
        self._name, self._value = b"", b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        # Only the first part of the field is the file; a second one is ignored.
        if options.get(b"name") == self.field and not self.found:
            self.found = self._in_file = True
            filename = options.get(b"filename")
            self.filename = filename.decode("utf-8", "replace") if filename is not None else None

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self.pending.append(bytes(data[start:end]))

    def on_part_end(self) -> None:
        if self._in_file:
            self._in_file = False
            self.done = True


class MultipartFileReader:
    """The file in one field of a multipart body: `await start()` for its name, then `chunks()`."""

    def __init__(
        self, content_type: str, body: AsyncIterator[bytes], field: str, max_body_bytes: int
    ) -> None:
        kind, options = parse_options_header(content_type)
        boundary = options.get(b"boundary")
        if kind != b"multipart/form-data" or not boundary:
            raise UploadFormError(f"send the file as multipart/form-data in the field {field!r}")
        self.field = field
        self._collector = _FilePartCollector(field)
        callbacks = {
            name: getattr(self._collector, name)
            for name in (
                "on_part_begin",
                "on_header_field",
                "on_header_value",
                "on_header_end",
                "on_headers_finished",
                "on_part_data",
                "on_part_end",
            )
        }
        self._parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
        self._body = body
        self._max_body_bytes = max_body_bytes
        self.received = 0

    async def start(self) -> str | None:
        """Reads until the file part begins; its file name as the client gave it (or None)."""
        while not self._collector.found:
            if not await self._read_more():
                raise UploadFormError(f"the form has no file in the field {self.field!r}")
        return self._collector.filename

    async def chunks(self) -> AsyncIterator[bytes]:
        """The file's bytes, in the pieces they arrived in."""
        collector = self._collector
        while True:
            while collector.pending:
                yield collector.pending.popleft()
            if collector.done:
                return
            if not await self._read_more():
                raise UploadFormError("the body ended in the middle of the file")

    async def _read_more(self) -> bool:
        """Feeds the parser one more piece of the body; False once the body has ended."""
        try:
            chunk = await anext(self._body)
        except StopAsyncIteration:
            return False
        self.received += len(chunk)
        if self.received > self._max_body_bytes:
            raise UploadTooLargeError
        try:
            self._parser.write(chunk)
        except MultipartParseError as error:
            raise UploadFormError(f"the multipart body is malformed: {error}") from None
        return True
