"""The lake: uploads into raw/, and the catalog of published datasets."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool

from lakebook.common.api import DatasetDetail, DatasetOut, UploadOut
from lakebook.common.lake import NOTEBOOK_FORMAT, LakePathError, check_dataset_name
from lakebook.gateway.api.deps import (
    API_PREFIX,
    Caller,
    CurrentUser,
    LakeStoreDep,
    SettingsDep,
    require_role,
)
from lakebook.gateway.audit import record_event
from lakebook.gateway.core.lake_writer import write_object
from lakebook.gateway.core.multipart_stream import (
    MultipartFileReader,
    UploadFormError,
    UploadTooLargeError,
)
from lakebook.gateway.core.uploads import (
    NOTEBOOK_MAX_BYTES,
    SNIFF_BYTES,
    UploadRejectedError,
    check_notebook,
    upload_format,
)
from lakebook.gateway.db import session_scope
from lakebook.lake.publisher import LakePublisher
from lakebook.lake.store import LakeNotFoundError

router = APIRouter(prefix=f"{API_PREFIX}/lake", tags=["lake"])

Uploader = Annotated[Caller, Depends(require_role("analyst", "admin", action="upload"))]
UPLOAD_FIELD = "file"
# Multipart framing around the file: headers and boundaries, generously.
MULTIPART_OVERHEAD = 64 * 1024


# The endpoint reads the body itself (see multipart_stream), so OpenAPI is told its shape.
_UPLOAD_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [UPLOAD_FIELD],
                    "properties": {UPLOAD_FIELD: {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


@router.post(
    "/uploads",
    response_model=UploadOut,
    status_code=status.HTTP_201_CREATED,
    openapi_extra=_UPLOAD_FORM,
)
async def upload(
    request: Request, user: Uploader, settings: SettingsDep, store: LakeStoreDep
) -> UploadOut:
    """Stores a CSV, JSON lines or Parquet file at raw/uploads/{user}/{upload_id}/data.{format},
    streamed to the lake as it arrives and refused (413) as soon as it passes the limit."""
    too_large = HTTPException(
        status.HTTP_413_CONTENT_TOO_LARGE,
        f"upload is larger than the limit of {settings.gateway.upload_max_bytes} bytes",
    )
    limit = settings.gateway.upload_max_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + MULTIPART_OVERHEAD:
        raise too_large
    upload_id = uuid.uuid4().hex
    try:
        reader = MultipartFileReader(
            request.headers.get("content-type", ""),
            request.stream(),
            UPLOAD_FIELD,
            max_body_bytes=limit + MULTIPART_OVERHEAD,
        )
        filename = await reader.start()
        head, rest = await _peek(_capped(reader.chunks(), limit), SNIFF_BYTES)
        # The name is only asked for its extension: the stored key is built from safe parts.
        found = upload_format(head, filename)
        if found == NOTEBOOK_FORMAT:
            key = store.paths.notebook_upload_key(user.name, upload_id)
            notebook = await _whole_notebook(head, rest)
            written = await write_object(store, key, _prepend(notebook, _nothing()))
        else:
            key = store.paths.upload_key(user.name, upload_id, found)
            written = await write_object(store, key, _prepend(head, rest))
    except NotebookTooLargeError as error:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, str(error)) from None
    except UploadTooLargeError:
        raise too_large from None
    except UploadFormError as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from None
    except UploadRejectedError as error:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, str(error)) from error
    await run_in_threadpool(_record_upload, settings.gateway.database, user.name, key, written)
    return UploadOut(upload_id=upload_id, key=key, format=found, bytes=written)


def _record_upload(database_url: str, user: str, key: str, written: int) -> None:
    with session_scope(database_url) as session:
        record_event(session, user, "lake.upload", key, {"bytes": written})


async def _capped(chunks: AsyncIterator[bytes], limit: int) -> AsyncIterator[bytes]:
    total = 0
    async for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise UploadTooLargeError
        yield chunk


class NotebookTooLargeError(Exception):
    def __str__(self) -> str:
        return (
            f"a notebook upload is larger than {NOTEBOOK_MAX_BYTES // 2**20} MiB; clear its "
            "outputs and upload it again"
        )


async def _whole_notebook(head: bytes, rest: AsyncIterator[bytes]) -> bytes:
    """The notebook's bytes, validated (nbformat) in a worker thread before anything is stored."""
    parts = [head]
    size = len(head)
    async for chunk in rest:
        size += len(chunk)
        if size > NOTEBOOK_MAX_BYTES:
            raise NotebookTooLargeError
        parts.append(chunk)
    data = b"".join(parts)
    await run_in_threadpool(check_notebook, data)
    return data


async def _nothing() -> AsyncIterator[bytes]:
    return
    yield


async def _peek(chunks: AsyncIterator[bytes], size: int) -> tuple[bytes, AsyncIterator[bytes]]:
    """The first `size` bytes (fewer if the file is shorter), and an iterator over the rest."""
    head = b""
    while len(head) < size:
        try:
            head += await anext(chunks)
        except StopAsyncIteration:
            break
    return head, chunks


async def _prepend(head: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    if head:
        yield head
    async for chunk in rest:
        yield chunk


@router.get("/datasets", response_model=list[DatasetOut])
def list_datasets(user: CurrentUser, store: LakeStoreDep) -> list[DatasetOut]:
    return [DatasetOut.from_summary(d) for d in LakePublisher(store).list_datasets()]


@router.get("/datasets/{name}", response_model=DatasetDetail)
def read_dataset(name: str, user: CurrentUser, store: LakeStoreDep) -> DatasetDetail:
    """Schema, size and lineage of the latest run, and every published run."""
    publisher = LakePublisher(store)
    try:
        check_dataset_name(name)
        runs = publisher.list_runs(name)
        if not runs:
            raise LakeNotFoundError(name)
        metadata = publisher.read_metadata(name, runs[0].run_id)
    except (LakePathError, LakeNotFoundError) as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no dataset {name!r}") from error
    return DatasetDetail.from_metadata(name, runs, metadata)
