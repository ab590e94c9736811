"""Which CSV records have fewer fields than the header. Polars fills a short line's missing
fields with nulls, exactly as it reads empty ones (`14,15,16` and `14,15,16,` read the same), so
only a parser that counts fields can tell a truncated line from one with trailing empty values."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from lakebook.lake.store import LakeStore


@dataclass(frozen=True)
class ShortRecords:
    """How many data records the file has, and the fields of each one shorter than the header,
    by 1-based data row (blank lines counted, as Polars counts them)."""

    records: int
    fields: dict[int, int]


def short_csv_records(store: LakeStore, key: str, header_fields: int) -> ShortRecords:
    """Reads the CSV once with Python's csv module (quoted separators and line ends included)."""
    short: dict[int, int] = {}
    records = 0
    with store.translate_errors("read", key), store.fs.open(store.fs_path(key), "rb") as raw:
        # newline="": the csv module handles line ends itself, also inside quoted fields.
        reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""))
        next(reader, None)  # the header
        for records, fields in enumerate(reader, start=1):  # noqa: B007 (counted)
            # A blank line reads as no fields: it is an empty row, dropped, not a short one.
            if 0 < len(fields) < header_fields:
                short[records] = len(fields)
    return ShortRecords(records=records, fields=short)
