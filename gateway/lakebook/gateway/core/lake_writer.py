"""Streams bytes arriving on the event loop into one lake object written by a worker thread
(the lake store is synchronous), holding only a few blocks in memory. If anything fails on
either side, the store removes what it wrote: no partial object is ever left."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import anyio.from_thread
from fastapi.concurrency import run_in_threadpool

from lakebook.lake.store import LakeStore

BLOCK_BYTES = 1024 * 1024
QUEUED_BLOCKS = 4


class _Abort(Exception):
    """Tells the writing thread to give up (the reading side failed)."""


async def write_object(store: LakeStore, key: str, chunks: AsyncIterator[bytes]) -> int:
    """Writes the chunks to `key`; returns the bytes written, or raises the first error."""
    handoff: asyncio.Queue[bytes | BaseException | None] = asyncio.Queue(QUEUED_BLOCKS)

    def blocks() -> Iterator[bytes]:
        while (item := anyio.from_thread.run(handoff.get)) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item

    writer = asyncio.ensure_future(run_in_threadpool(store.write_stream, key, blocks()))
    try:
        async for block in _blocks_of(chunks, BLOCK_BYTES):
            await _hand_over(handoff, writer, block)
        await _hand_over(handoff, writer, None)
    except BaseException:
        if not writer.done():
            await asyncio.shield(_hand_over(handoff, writer, _Abort()))
        await asyncio.gather(writer, return_exceptions=True)
        raise
    return await writer


async def _hand_over(
    handoff: asyncio.Queue[bytes | BaseException | None],
    writer: asyncio.Future[int],
    item: bytes | BaseException | None,
) -> None:
    """Queues an item, waiting while the writer is behind; the writer's error if it stopped."""
    put: asyncio.Future[object] = asyncio.ensure_future(handoff.put(item))
    pending: set[asyncio.Future[object]] = {put, writer}  # type: ignore[arg-type]
    await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
    if put.done():
        return
    put.cancel()
    writer.result()  # raises what stopped it
    raise RuntimeError("the lake writer ended before the upload did")


async def _blocks_of(chunks: AsyncIterator[bytes], size: int) -> AsyncIterator[bytes]:
    """Joins small chunks into blocks of about `size` bytes: fewer hand-overs to the thread."""
    pending: list[bytes] = []
    held = 0
    async for chunk in chunks:
        pending.append(chunk)
        held += len(chunk)
        if held >= size:
            yield b"".join(pending)
            pending, held = [], 0
    if pending:
        yield b"".join(pending)
