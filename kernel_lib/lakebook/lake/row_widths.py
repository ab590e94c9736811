"""How wide a frame's rows are, and so how many rows go in a Parquet row group."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final

import polars as pl

# Row groups of about 128 MB before compression, between DuckDB's default of 122,880 rows and
# pyarrow's of 2**20. Readers on S3 fetch and decode each column chunk of each row group on its
# own: 10M rows of 5 columns on SeaweedFS read 22-28% faster in Polars and 31-37% faster in a
# DuckDB first read in 2**20-row groups than in 122,880-row ones, from a 16% smaller file
# (benchmarks/README.md, "Row groups"). Polars sizes row groups in rows only and a sink buffers
# a whole one, so the size comes from the row's width: measured for a DataFrame; for a LazyFrame,
# whose rows are not computed yet, a text column's mean length where the caller measured it
# (`column_bytes`: ingest_upload counts it while checking the rows), otherwise guessed from the
# schema: 8 bytes for a fixed-width value, more for a string and more again for a list or struct.
ROW_GROUP_BYTES = 128 * 2**20
ROW_GROUP_ROWS_RANGE = (122_880, 2**20)
FIXED_WIDTH_BYTES = 8
VARIABLE_WIDTH_BYTES = 32
# Polars holds a string or binary value as a 16-byte view plus its bytes; a measured width
# (DataFrame.estimated_size, a mean length) counts the bytes only.
VIEW_BYTES = 16
NESTED_BYTES = 64

# The file's own copy of metadata.json's `text_bytes`, in its Parquet footer: a transform reading
# the run gets it with the footer read it makes anyway (Polars, beside the schema), not with a
# GET of metadata.json through botocore (~3 ms of CPU in a run's critical path).
TEXT_BYTES_FOOTER_KEY: Final = "lakebook.text_bytes"


def row_group_rows(
    schema: Mapping[str, pl.DataType], column_bytes: Mapping[str, float] | None = None
) -> int:
    """Rows per row group for a table of this schema: a string column's values are
    `column_bytes[name]` bytes long where that is known (measured by whoever read the data),
    other widths are guessed."""
    known = column_bytes or {}
    widths = (
        known[name] + VIEW_BYTES if name in known and is_text(dtype) else _value_bytes(dtype)
        for name, dtype in schema.items()
    )
    return _rows_of_width(math.ceil(sum(widths)))


def frame_row_group_rows(
    frame: pl.DataFrame | pl.LazyFrame, column_bytes: Mapping[str, float] | None = None
) -> int:
    """Rows per row group for this frame: a DataFrame's rows are measured (a column of long
    strings would make a guessed group many times 128 MB), a LazyFrame's known or guessed."""
    if isinstance(frame, pl.DataFrame) and frame.height > 0:
        views = VIEW_BYTES * sum(is_text(dtype) for dtype in frame.schema.values())
        return _rows_of_width(math.ceil(frame.estimated_size() / frame.height) + views)
    return row_group_rows(frame.collect_schema(), column_bytes)


def text_widths(
    frame: pl.DataFrame | pl.LazyFrame, column_bytes: Mapping[str, float] | None = None
) -> dict[str, float]:
    """The mean byte length of each string or binary column, where it is known: measured for a
    DataFrame, the caller's `column_bytes` for a LazyFrame. metadata.json records it, so a
    transform reading the dataset sizes its own row groups by it (`transform.plan_transform`)."""
    if isinstance(frame, pl.LazyFrame):
        return {name: round(float(width), 1) for name, width in (column_bytes or {}).items()}
    lengths = [
        mean_text_bytes(pl.col(name), dtype).alias(name)
        for name, dtype in frame.schema.items()
        if is_text(dtype)
    ]
    if not lengths or frame.height == 0:
        return {}
    means = frame.select(lengths).row(0, named=True)
    return {name: round(float(mean or 0.0), 1) for name, mean in means.items()}


def mean_text_bytes(values: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """The mean byte length of string or binary values, a null counting 0: a null holds no
    bytes in the row width the mean stands for (metadata.json's `text_bytes`)."""
    lengths = values.str.len_bytes() if dtype == pl.String else values.bin.size()
    return lengths.fill_null(0).mean()


def parse_text_widths(recorded: object) -> dict[str, float]:
    """Recorded widths as `{column: bytes}`; anything else reads as none recorded (widths only
    size row groups: an odd record must fail no read)."""
    if not isinstance(recorded, dict):
        return {}
    try:
        return {str(name): float(width) for name, width in recorded.items()}
    except (ValueError, TypeError):
        return {}


def _rows_of_width(row_bytes: int) -> int:
    fewest, most = ROW_GROUP_ROWS_RANGE
    return max(fewest, min(most, ROW_GROUP_BYTES // max(row_bytes, 1)))


def _value_bytes(dtype: pl.DataType) -> int:
    if dtype.is_nested():
        return NESTED_BYTES
    if is_text(dtype) or dtype == pl.Object:
        return VARIABLE_WIDTH_BYTES
    return FIXED_WIDTH_BYTES


def is_text(dtype: pl.DataType) -> bool:
    """A string or binary column: its values' widths vary, and are measured where known."""
    return dtype in (pl.String, pl.Binary)
