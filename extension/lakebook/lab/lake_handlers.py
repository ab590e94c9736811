"""The lake: the dataset catalog, and uploads streamed through to the gateway."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import tornado.web
from pydantic import TypeAdapter

from lakebook.common.api import DatasetDetail, DatasetOut, UploadOut
from lakebook.kernel.gateway_http import DATASETS_PATH, UPLOAD_TIMEOUT, UPLOADS_PATH, dataset_path
from lakebook.lab.base import LakebookHandler
from lakebook.lab.forwarding import checked_answer, forward

DATASET_LIST: TypeAdapter[Any] = TypeAdapter(list[DatasetOut])
DATASET: TypeAdapter[Any] = TypeAdapter(DatasetDetail)
UPLOADED: TypeAdapter[Any] = TypeAdapter(UploadOut)
# Chunks held between the browser and the gateway: a slow gateway slows the browser down
# instead of the upload piling up in the Jupyter server's memory.
PIPE_CHUNKS = 8
# The browser's headers the gateway reads the form by (its multipart boundary, its size).
FORWARDED_HEADERS = ("Content-Type", "Content-Length")


class DatasetsHandler(LakebookHandler):
    """GET /lakebook/lake/datasets: datasets with a published run."""

    @tornado.web.authenticated
    async def get(self) -> None:
        await forward(self, DATASET_LIST, "GET", DATASETS_PATH)


class DatasetHandler(LakebookHandler):
    """GET /lakebook/lake/datasets/{name}: schema, size, lineage and runs of one dataset."""

    @tornado.web.authenticated
    async def get(self, name: str) -> None:
        await forward(self, DATASET, "GET", dataset_path(name))


class BodyPipe:
    """Request body chunks from tornado to httpx; once the reader stopped (the gateway answered,
    e.g. 413, or failed) the rest is dropped instead of waiting for it."""

    def __init__(self) -> None:
        self._chunks: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=PIPE_CHUNKS)

    async def put(self, chunk: bytes | None, reader: asyncio.Task[Any]) -> None:
        if reader.done():
            return
        put = asyncio.ensure_future(self._chunks.put(chunk))
        await asyncio.wait({put, reader}, return_when=asyncio.FIRST_COMPLETED)
        put.cancel()  # a no-op once it is done

    async def chunks(self) -> AsyncIterator[bytes]:
        while (chunk := await self._chunks.get()) is not None:
            yield chunk


@tornado.web.stream_request_body
class UploadHandler(LakebookHandler):
    """POST /lakebook/lake/uploads (the gateway's multipart form, field `file`): forwarded as it
    arrives; the gateway's 201 UploadOut, or its 413/415/400 with its message."""

    _pipe: BodyPipe
    _upload: asyncio.Task[tuple[int, Any]] | None = None

    async def prepare(self) -> None:  # type: ignore[override]
        # Jupyter's own checks (user, XSRF) run here, before any byte of the body is read.
        await super().prepare()
        if self.current_user is None:
            raise tornado.web.HTTPError(403)
        if self.request.method != "POST":
            return  # tornado answers 405 for the method this handler lacks
        headers = {
            name: self.request.headers[name]
            for name in FORWARDED_HEADERS
            if name in self.request.headers
        }
        self._pipe = BodyPipe()
        self._upload = asyncio.create_task(
            self.gateway(
                "POST",
                UPLOADS_PATH,
                content=self._pipe.chunks(),
                headers=headers,
                timeout=UPLOAD_TIMEOUT,
            )
        )

    async def data_received(self, chunk: bytes) -> None:
        assert self._upload is not None  # prepare() started it
        await self._pipe.put(chunk, self._upload)

    def on_connection_close(self) -> None:
        if self._upload is not None:
            self._upload.cancel()  # the browser gave up: so does the upload to the gateway
        super().on_connection_close()

    @tornado.web.authenticated
    async def post(self) -> None:
        assert self._upload is not None
        await self._pipe.put(None, self._upload)
        status, body = await self._upload
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(checked_answer(UPLOADED, body, f"POST {UPLOADS_PATH}"))


LAKE_ROUTES: list[tuple[tuple[str, ...], type[tornado.web.RequestHandler]]] = [
    (("lake", "datasets"), DatasetsHandler),
    (("lake", "datasets", "([^/]+)"), DatasetHandler),
    (("lake", "uploads"), UploadHandler),
]
