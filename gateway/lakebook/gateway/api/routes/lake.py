"""The lake: uploads into raw/, and the catalog of published datasets."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO

from fastapi import APIRouter, HTTPException, Request, UploadFile, status
from pydantic import BaseModel

from lakebook.common.lake import LakePathError, check_dataset_name
from lakebook.flows.lake_store import LakeNotFoundError
from lakebook.flows.publisher import LakePublisher
from lakebook.gateway.api.deps import API_PREFIX, CurrentUser, LakeStoreDep, SettingsDep
from lakebook.gateway.audit import record_event
from lakebook.gateway.core.uploads import SNIFF_BYTES, UploadRejectedError, upload_format
from lakebook.gateway.db import session_scope

router = APIRouter(prefix=f"{API_PREFIX}/lake", tags=["lake"])

CHUNK_BYTES = 1024 * 1024
# Multipart framing around the file: headers and boundaries, generously.
MULTIPART_OVERHEAD = 64 * 1024


class UploadTooLargeError(Exception):
    pass


class UploadOut(BaseModel):
    upload_id: str
    key: str
    format: str
    bytes: int


class DatasetOut(BaseModel):
    name: str
    latest_run_id: str
    published_at: datetime
    run_count: int


class RunSummary(BaseModel):
    run_id: str
    published_at: datetime


class DatasetDetail(BaseModel):
    name: str
    columns: dict[str, str]
    row_count: int
    bytes: int
    flow_name: str | None
    user: str | None
    inputs: list[str]
    latest_run_id: str
    runs: list[RunSummary]


def _chunks(source: BinaryIO, limit: int) -> Iterator[bytes]:
    total = 0
    while chunk := source.read(CHUNK_BYTES):
        total += len(chunk)
        if total > limit:
            raise UploadTooLargeError
        yield chunk


@router.post("/uploads", response_model=UploadOut, status_code=status.HTTP_201_CREATED)
def upload(
    file: UploadFile,
    request: Request,
    user: CurrentUser,
    settings: SettingsDep,
    store: LakeStoreDep,
) -> UploadOut:
    """Stores a CSV, JSON lines or Parquet file at raw/uploads/{user}/{upload_id}/data.{format}."""
    if user.role == "viewer":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "role 'viewer' cannot upload")
    too_large = HTTPException(
        status.HTTP_413_CONTENT_TOO_LARGE,
        f"upload is larger than the limit of {settings.upload_max_bytes} bytes",
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > settings.upload_max_bytes + MULTIPART_OVERHEAD:
        raise too_large
    head = file.file.read(SNIFF_BYTES)
    file.file.seek(0)
    try:
        # The name is only asked for its extension: the stored key is built from safe parts.
        found = upload_format(head, file.filename)
    except UploadRejectedError as error:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, str(error)) from error
    upload_id = uuid.uuid4().hex
    key = store.paths.upload_key(user.name, upload_id, found)
    try:
        written = store.write_stream(key, _chunks(file.file, settings.upload_max_bytes))
    except UploadTooLargeError:
        raise too_large from None
    with session_scope(settings.gateway_database_url) as session:
        record_event(session, user.name, "lake.upload", key, {"bytes": written})
    return UploadOut(upload_id=upload_id, key=key, format=found, bytes=written)


@router.get("/datasets", response_model=list[DatasetOut])
def list_datasets(user: CurrentUser, store: LakeStoreDep) -> list[DatasetOut]:
    return [
        DatasetOut(
            name=d.name,
            latest_run_id=d.latest.run_id,
            published_at=d.latest.published_at,
            run_count=d.run_count,
        )
        for d in LakePublisher(store).list_datasets()
    ]


@router.get("/datasets/{name}", response_model=DatasetDetail)
def read_dataset(name: str, user: CurrentUser, store: LakeStoreDep) -> DatasetDetail:
    """Schema, size and lineage of the latest run, and every published run."""
    publisher = LakePublisher(store)
    try:
        check_dataset_name(name)
        runs = publisher.list_runs(name)
        if not runs:
            raise LakeNotFoundError(name)
        metadata: dict[str, Any] = publisher.read_metadata(name, runs[0].run_id)
    except (LakePathError, LakeNotFoundError) as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no dataset {name!r}") from error
    return DatasetDetail(
        name=name,
        columns=metadata["schema"],
        row_count=metadata["row_count"],
        bytes=metadata["bytes"],
        flow_name=metadata.get("flow_name"),
        user=metadata.get("user"),
        inputs=metadata.get("inputs", []),
        latest_run_id=runs[0].run_id,
        runs=[RunSummary(run_id=r.run_id, published_at=r.published_at) for r in runs],
    )
