"""Raw uploads: which upload a key names, whether its bytes are what its extension claims, scans."""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass
from typing import Any

import polars as pl

from lakebook.common.lake import NOTEBOOK_UPLOAD_FILE, LakePathError
from lakebook.lake.store import LakeStore

# Enough to see a header and a few rows; a format check must not download a big upload.
SNIFF_BYTES = 64 * 1024
PARQUET_MAGIC = b"PAR1"
# Rows Polars reads to infer JSON lines types; later rows of another type fail the read.
JSON_INFERENCE_ROWS = 10_000
# Helper column of CSV scans: what a line has past the header's columns (see _scan_csv).
EXTRA_FIELDS = "__extra_fields"

_UPLOAD_KEY = re.compile(r"raw/uploads/(?P<user>[^/]+)/(?P<upload_id>[^/]+)/data\.(?P<ext>\w+)")


class UploadError(ValueError):
    """An upload that cannot be ingested; the message says what is wrong with it."""


@dataclass(frozen=True)
class Upload:
    """One raw upload: `raw/uploads/{user}/{upload_id}/data.{extension}`."""

    key: str
    user: str
    upload_id: str
    extension: str


def parse_upload_key(store: LakeStore, key: str) -> Upload:
    """The upload a key names, or UploadError when it is not an upload key."""
    match = _UPLOAD_KEY.fullmatch(key)
    if match is None and key.endswith(f"/{NOTEBOOK_UPLOAD_FILE}"):
        raise UploadError(
            f"{key!r} is a notebook upload: run it with run_notebook; ingest_upload takes "
            "CSV, JSON lines or Parquet uploads"
        )
    if match is None:
        raise UploadError(
            f"{key!r} is not an upload key: expected raw/uploads/{{user}}/{{upload_id}}/"
            "data.{csv,json,parquet}"
        )
    user, upload_id, extension = match.group("user", "upload_id", "ext")
    try:
        canonical = store.paths.upload_key(user, upload_id, extension)
    except LakePathError as error:
        raise UploadError(f"{key!r} is not a valid upload key: {error}") from error
    return Upload(key=canonical, user=user, upload_id=upload_id, extension=extension)


def check_upload_format(store: LakeStore, upload: Upload) -> None:
    """Raises UploadError unless the upload's first bytes match its extension."""
    size = store.size(upload.key)
    if size == 0:
        raise UploadError(f"{upload.key} is empty")
    head = _read_range(store, upload.key, 0, min(size, SNIFF_BYTES))
    if upload.extension == "parquet":
        tail = _read_range(store, upload.key, size - len(PARQUET_MAGIC), size)
        if not head.startswith(PARQUET_MAGIC):
            raise UploadError(f"{upload.key} is not a Parquet file: {_describe(head)}")
        if tail != PARQUET_MAGIC:
            raise UploadError(f"{upload.key} is a truncated Parquet file (it has no footer)")
        return
    text = _decode_text(upload, head)
    first_line = text.lstrip().split("\n", 1)[0].strip()
    if upload.extension == "csv":
        if first_line.startswith(("{", "[")):
            raise UploadError(f"{upload.key} is not CSV: {_describe(head)}")
        return
    if first_line.startswith("["):
        raise UploadError(
            f"{upload.key} is a JSON array, not JSON lines: upload one JSON object per line"
        )
    try:
        first_record = json.loads(first_line)
    except json.JSONDecodeError:
        first_record = None
    if not isinstance(first_record, dict):
        raise UploadError(
            f"{upload.key} is not JSON lines (one JSON object per line): {_describe(head)}"
        )
    if "cells" in first_record and "nbformat" in first_record:
        # A one-line notebook is one JSON object on one line: refused as data (issue 22).
        raise UploadError(
            f"{upload.key} is a Jupyter notebook, not JSON lines: upload it as a .ipynb file "
            "and run it with run_notebook"
        )


def scan_upload(store: LakeStore, upload: Upload) -> pl.LazyFrame:
    """A lazy scan of the upload; CSV columns stay text so bad values can be reported per row."""
    target = store.data_target(upload.key)
    options = store.polars_options or None
    if upload.extension == "csv":
        return _scan_csv(target, options)
    if upload.extension == "json":
        return pl.scan_ndjson(
            target, infer_schema_length=JSON_INFERENCE_ROWS, storage_options=options
        )
    return pl.scan_parquet(target, storage_options=options)


def _scan_csv(target: str, options: dict[str, Any] | None) -> pl.LazyFrame:
    """The CSV as text columns, plus EXTRA_FIELDS holding what a line has past the header's
    columns (null on well-formed lines), so a ragged line is a rejected row, not a failed file."""
    header = pl.scan_csv(target, infer_schema=False, n_rows=0, storage_options=options)
    columns = header.collect_schema().names()
    schema = dict.fromkeys([*columns, EXTRA_FIELDS], pl.String)
    return pl.scan_csv(
        target,
        has_header=False,
        skip_rows=1,
        schema=schema,
        truncate_ragged_lines=True,
        missing_columns="insert",
        storage_options=options,
    )


def _read_range(store: LakeStore, key: str, start: int, end: int) -> bytes:
    with store.translate_errors("read", key):
        data: bytes = store.fs.cat_file(store.fs_path(key), start=start, end=end)
        return data


def _decode_text(upload: Upload, head: bytes) -> str:
    """The head as text; binary data (Parquet, images, archives) is refused by name."""
    kind = "CSV" if upload.extension == "csv" else "JSON lines"
    if head.startswith(PARQUET_MAGIC) or b"\x00" in head:
        raise UploadError(f"{upload.key} is not {kind}: {_describe(head)}")
    try:
        # Not final: the head may end in the middle of a multi-byte character.
        return codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
    except UnicodeDecodeError as error:
        raise UploadError(f"{upload.key} is not UTF-8 text ({error.reason})") from error


def _describe(head: bytes) -> str:
    """What the bytes look like, for error messages."""
    if head.startswith(PARQUET_MAGIC):
        return "it is a Parquet file"
    if b"\x00" in head:
        return "it is binary data"
    first_line = head.decode("utf-8", errors="replace").lstrip().split("\n", 1)[0][:60]
    if first_line.startswith(("{", "[")):
        return f"it looks like JSON ({first_line!r})"
    return f"it starts with the text {first_line!r}"
