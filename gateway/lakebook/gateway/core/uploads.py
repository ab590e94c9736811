"""What an upload really is: sniffed from its first bytes, checked against its file name."""

from __future__ import annotations

from pathlib import PurePosixPath

SNIFF_BYTES = 8192
_DECLARED = {
    "csv": "csv",
    "tsv": "csv",
    "txt": "csv",
    "json": "json",
    "jsonl": "json",
    "ndjson": "json",
    "parquet": "parquet",
    "pq": "parquet",
}


class UploadRejectedError(ValueError):
    """Content that lakebook will not store; the message says what was found."""


def upload_format(head: bytes, filename: str | None) -> str:
    """csv, json (JSON lines) or parquet, from the content; the file name must not disagree."""
    found = _sniff(head)
    if found is None:
        raise UploadRejectedError(
            "content is not CSV, JSON lines or Parquet (binary data, or a JSON array?)"
        )
    suffix = PurePosixPath(filename or "").suffix.lower().lstrip(".")
    declared = _DECLARED.get(suffix)
    if suffix and declared is None:
        raise UploadRejectedError(f"file type .{suffix} is not accepted: use csv, jsonl or parquet")
    if declared is not None and declared != found:
        raise UploadRejectedError(f"file name says .{suffix} but the content looks like {found}")
    return found


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
