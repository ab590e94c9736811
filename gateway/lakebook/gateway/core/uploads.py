"""What an upload really is: sniffed from its first bytes, checked against its file name."""

from __future__ import annotations

import json
import re
from pathlib import PurePosixPath

from nbformat.validator import get_validator

from lakebook.common.lake import NOTEBOOK_FORMAT

SNIFF_BYTES = 8192
# A notebook is read whole to be validated; schedules read notebooks up to the same size (N3).
NOTEBOOK_MAX_BYTES = 32 * 2**20
NOTEBOOK_MAJOR = 4
# nbformat writes keys in order, so a notebook's text opens with its cells.
_NOTEBOOK_START = re.compile(r'\{\s*"cells"\s*:')
_DECLARED = {
    "csv": "csv",
    "tsv": "csv",
    "txt": "csv",
    "json": "json",
    "jsonl": "json",
    "ndjson": "json",
    "parquet": "parquet",
    "pq": "parquet",
    "ipynb": NOTEBOOK_FORMAT,
}


class UploadRejectedError(ValueError):
    """Content that lakebook will not store; the message says what was found."""


def upload_format(head: bytes, filename: str | None) -> str:
    """csv, json (JSON lines), parquet or ipynb (a notebook: its name must say .ipynb, and
    `check_notebook` then validates it whole), from the content; the file name must not
    disagree."""
    # The name first: "file type .exe is not accepted" says more than what its bytes are not.
    suffix = PurePosixPath(filename or "").suffix.lower().lstrip(".")
    declared = _DECLARED.get(suffix)
    if suffix and declared is None:
        raise UploadRejectedError(
            f"file type .{suffix} is not accepted: use csv, jsonl, parquet or ipynb"
        )
    if not head.strip():
        raise UploadRejectedError(f"{filename or 'the file'} is empty: there is nothing to store")
    found = _sniff(head)
    if found is None:
        raise UploadRejectedError(
            "content is not CSV, JSON lines or Parquet, nor a notebook (binary data, or a JSON "
            "array?)"
        )
    if found == "json" and (declared == NOTEBOOK_FORMAT or _looks_like_notebook(head)):
        found = NOTEBOOK_FORMAT
    if found == NOTEBOOK_FORMAT and declared not in (None, NOTEBOOK_FORMAT):
        # A one-line notebook is also one JSON object per line: never taken for data.
        raise UploadRejectedError(
            f"content is a Jupyter notebook, not the .{suffix} data its name says: upload it "
            "with a .ipynb name (notebooks are run, not ingested)"
        )
    if declared is not None and declared != found:
        raise UploadRejectedError(f"file name says .{suffix} but the content looks like {found}")
    return found


def check_notebook(data: bytes) -> None:
    """Raises UploadRejectedError unless `data` is a valid nbformat 4 notebook (its schema)."""
    try:
        document = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise UploadRejectedError(f"the notebook is not UTF-8 text ({error.reason})") from None
    except ValueError as error:
        raise UploadRejectedError(f"content is not a valid notebook: {error}") from None
    major = document.get("nbformat") if isinstance(document, dict) else None
    minor = document.get("nbformat_minor") if isinstance(document, dict) else None
    if major != NOTEBOOK_MAJOR or not isinstance(minor, int) or isinstance(minor, bool):
        raise UploadRejectedError(
            "content is not a valid notebook: lakebook runs nbformat 4 notebooks "
            f"(this says nbformat {major!r}, nbformat_minor {minor!r}); save it from Jupyter"
        )
    # nbformat's schema for exactly this version, checked as it is: nbformat.validate would
    # first repair the document (and warn), and what is stored is the file as uploaded.
    validator = get_validator(version=NOTEBOOK_MAJOR, version_minor=minor)  # type: ignore[no-untyped-call]
    problem = next(iter(validator.iter_errors(document)), None)
    if problem is not None:
        raise UploadRejectedError(
            f"content is not a valid notebook: {str(problem.message)[:200]}; open and save it "
            "in Jupyter to repair it"
        )


def _looks_like_notebook(head: bytes) -> bool:
    """Whether JSON text is a notebook's: one whose first line is a whole object with `cells`
    and `nbformat`, or that opens with its `cells` (pretty-printed, or longer than the head)."""
    text = head.decode("utf-8", errors="ignore").lstrip("\ufeff \t\r\n")
    try:
        first = json.loads(text.split("\n", 1)[0])
    except ValueError:
        first = None
    if isinstance(first, dict):
        return "cells" in first and "nbformat" in first
    return _NOTEBOOK_START.match(text) is not None


def _sniff(head: bytes) -> str | None:
    if head.startswith(b"PAR1"):
        return "parquet"
    if b"\x00" in head:
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        # The sniffed window may end inside a multi-byte character; anything earlier is not UTF-8.
        if error.start < len(head) - 4:
            return None
        text = head[: error.start].decode("utf-8")
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped:
        return None
    if stripped.startswith("{"):
        return "json"
    if stripped.startswith("["):
        return None
    return "csv"
