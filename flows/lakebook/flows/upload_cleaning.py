"""Cleans a raw upload: snake_case columns, no empty rows, typed columns, rejected rows counted."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, cast

import polars as pl
from pydantic import BaseModel

from lakebook.flows.csv_fields import ShortRecords
from lakebook.flows.upload_formats import EXTRA_FIELDS, UploadError
from lakebook.lake.row_widths import mean_text_bytes

logger = logging.getLogger(__name__)

ColumnType = Literal[
    "String", "Int64", "Int32", "Float64", "Float32", "Boolean", "Date", "Datetime"
]
COLUMN_TYPES: dict[str, pl.DataType] = {
    "String": pl.String(),
    "Int64": pl.Int64(),
    "Int32": pl.Int32(),
    "Float64": pl.Float64(),
    "Float32": pl.Float32(),
    "Boolean": pl.Boolean(),
    "Date": pl.Date(),
    "Datetime": pl.Datetime("us"),
}
# Tried in this order on text columns without a given type; the first that reads nearly every
# value of the sample wins, so "1" stays an integer and "1.5" makes the column a float. "Nearly":
# a few bad values must become rejected rows, not turn a numeric column into text.
INFERRED_TYPES = ("Int64", "Float64", "Date", "Datetime", "Boolean")
INFERENCE_MAX_FAILED_SHARE = 0.1
INFERENCE_ROWS = 10_000
REJECT_SAMPLE_ROWS = 10

# Helper columns start with "__": cleaned column names never do (snake_case strips underscores).
_ROW = "__row"
_EMPTY = "__empty"
_REJECTED = "__rejected"
_SHORT = "__short"


class RejectedRow(BaseModel):
    """A row left out: some values did not fit their column's type, or a CSV line had more or
    fewer fields than the header."""

    row: int
    """1-based position among the upload's data rows (the CSV header is not counted)."""
    values: dict[str, str]
    """The values that did not fit, by column."""
    extra_fields: bool = False
    """The CSV line had more fields than the header names."""
    fields: int | None = None
    """How many fields the CSV line had, when it had fewer than the header."""
    header_fields: int | None = None
    """How many fields the header names (set with `fields`)."""

    def reason(self) -> str:
        """What is wrong with the row: `3 of 8 fields`, `amount='oops'`, ..."""
        problems = []
        if self.fields is not None:
            problems.append(f"{self.fields} of {self.header_fields} fields")
        problems += [f"{column}={value!r}" for column, value in self.values.items()]
        if self.extra_fields:
            problems.append("more fields than the header")
        return ", ".join(problems)

    def describe(self) -> str:
        return f"row {self.row}: {self.reason()}"


@dataclass(frozen=True)
class StagedUpload:
    """The rows to publish (lazy), their column types, and what was left out."""

    frame: pl.LazyFrame
    column_types: dict[str, str]
    rows_read: int
    empty_rows: int
    rejected_rows: int
    reject_sample: list[RejectedRow]
    # Mean length in bytes of each text column's values: the publisher sizes row groups by it.
    text_bytes: dict[str, float]

    @property
    def reject_fraction(self) -> float:
        """Rejected rows over the non-empty rows."""
        candidates = self.rows_read - self.empty_rows
        return self.rejected_rows / candidates if candidates else 0.0


def snake_case(name: str) -> str:
    """`Order ID` → `order_id`, `totalAmount` → `total_amount`, ` Amount (€) ` → `amount`."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name.strip())
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", text)
    return re.sub(r"[^0-9A-Za-z]+", "_", text).strip("_").lower()


def clean_column_names(names: list[str]) -> dict[str, str]:
    """Original name → cleaned name; names must stay distinct and usable as DuckDB columns."""
    cleaned: dict[str, str] = {}
    origin: dict[str, str] = {}
    for position, name in enumerate(names, start=1):
        new = snake_case(name) or f"column_{position}"
        if new[0].isdigit():
            new = f"col_{new}"
        if new in origin:
            raise UploadError(
                f"columns {origin[new]!r} and {name!r} both become {new!r}; rename one of them"
            )
        origin[new] = name
        cleaned[name] = new
    return cleaned


def stage_upload(
    raw: pl.LazyFrame,
    column_types: Mapping[str, ColumnType],
    count_short_records: Callable[[int], ShortRecords] | None = None,
) -> StagedUpload:
    """Cleans and types the upload, counts empty and rejected rows, and plans the good rows.
    `count_short_records(header_fields)` finds a CSV's lines with fewer fields than its header;
    it is asked only when some non-empty row lacks a value in the last column."""
    names = raw.collect_schema().names()
    ragged = EXTRA_FIELDS in names
    renamed = raw.rename(clean_column_names([name for name in names if name != EXTRA_FIELDS]))
    schema = pl.Schema(
        (name, dtype) for name, dtype in renamed.collect_schema().items() if name != EXTRA_FIELDS
    )
    targets = _target_types(renamed, schema, column_types)
    converted = {name: _convert(name, schema[name], targets[name]) for name in schema}
    failed = {name: _failed(name, schema[name], converted[name]) for name in schema}
    typed = renamed.with_row_index(_ROW, offset=1).with_columns(
        pl.all_horizontal(_blank(name, schema[name]) for name in schema).alias(_EMPTY),
        *(flag.alias(f"__failed_{name}") for name, flag in failed.items()),
        *(value.alias(f"__value_{name}") for name, value in converted.items()),
    )
    too_long = pl.col(EXTRA_FIELDS).is_not_null() if ragged else pl.lit(False)
    texts = [name for name in schema if targets[name] == pl.String]
    # A short CSV line reads as nulls in its last columns: only a non-empty row without a last
    # value can be one, so fields are counted only when there is such a row.
    maybe_short = (
        pl.col(list(schema)[-1]).is_null() & ~pl.col(_EMPTY)
        if ragged and count_short_records is not None and len(schema) > 1
        else None
    )
    staged = _flag_rejects(typed, too_long, {}, list(schema))
    counts = _counts(staged, texts, maybe_short)
    if count_short_records is not None and maybe_short is not None and counts["maybe_short"][0]:
        short = _short_rows(count_short_records(len(schema)), int(counts["rows"][0]))
        if short:
            staged = _flag_rejects(typed, too_long, short, list(schema))
            counts = _counts(staged, texts, None)
    else:
        short = {}
    rejected_rows = int(counts["rejected"][0])
    sample = (
        staged.filter(pl.col(_REJECTED)).head(REJECT_SAMPLE_ROWS).collect(engine="streaming")
        if rejected_rows
        else pl.DataFrame()
    )
    good_rows = staged.filter(_published()).select(
        pl.col(f"__value_{name}").alias(name) for name in schema
    )
    return StagedUpload(
        frame=good_rows,
        column_types={name: _type_name(targets[name]) for name in schema},
        rows_read=int(counts["rows"][0]),
        empty_rows=int(counts["empty"][0]),
        rejected_rows=rejected_rows,
        reject_sample=[
            _rejected_row(record, list(schema), short) for record in sample.iter_rows(named=True)
        ],
        text_bytes={name: float(counts[f"__bytes_{name}"][0] or 0.0) for name in texts},
    )


def _flag_rejects(
    typed: pl.LazyFrame, too_long: pl.Expr, short: Mapping[int, int], columns: list[str]
) -> pl.LazyFrame:
    """The typed rows with EXTRA_FIELDS, SHORT and REJECTED flags."""
    too_short = (
        pl.col(_ROW).is_in(pl.Series(list(short), dtype=pl.UInt32).implode()) & ~pl.col(_EMPTY)
        if short
        else pl.lit(False)
    )
    flagged = typed.with_columns(too_long.alias(EXTRA_FIELDS), too_short.alias(_SHORT))
    failed = (pl.col(f"__failed_{name}") for name in columns)
    return flagged.with_columns(
        pl.any_horizontal(pl.col(EXTRA_FIELDS), pl.col(_SHORT), *failed).alias(_REJECTED)
    )


def _published() -> pl.Expr:
    return ~pl.col(_EMPTY) & ~pl.col(_REJECTED)


def _counts(staged: pl.LazyFrame, texts: list[str], maybe_short: pl.Expr | None) -> pl.DataFrame:
    """Rows, empty and rejected rows, the published text columns' widths, and (when asked) how
    many rows might be short lines, in one streaming pass: an upload may not fit in memory. The
    sample costs a second pass, so only when there is something to show; the rows themselves
    are read again when published."""
    return staged.select(
        pl.len().alias("rows"),
        pl.col(_EMPTY).sum().alias("empty"),
        pl.col(_REJECTED).sum().alias("rejected"),
        *([] if maybe_short is None else [maybe_short.sum().alias("maybe_short")]),
        # Measured over the rows published, as the publisher measures a DataFrame's.
        *(
            mean_text_bytes(pl.col(f"__value_{n}").filter(_published()), pl.String()).alias(
                f"__bytes_{n}"
            )
            for n in texts
        ),
    ).collect(engine="streaming")


def _short_rows(found: ShortRecords, rows_read: int) -> dict[int, int]:
    """The short lines, where both readers agree on how many records the file has: otherwise
    (a quoting Python's csv module reads differently) the row numbers would not match."""
    if found.records != rows_read:
        logger.warning(
            "the csv module read %d records where Polars read %d: short lines are not checked",
            found.records,
            rows_read,
        )
        return {}
    return found.fields


def _target_types(
    frame: pl.LazyFrame, schema: pl.Schema, requested: Mapping[str, ColumnType]
) -> dict[str, pl.DataType]:
    """Requested types (by original or cleaned name), else types inferred from text columns."""
    targets: dict[str, pl.DataType] = {}
    for name, type_name in requested.items():
        column = snake_case(name)
        if column not in schema:
            raise UploadError(
                f"column_types names column {name!r}, which the upload does not have; "
                f"its columns are: {', '.join(schema)}"
            )
        targets[column] = COLUMN_TYPES[type_name]
    to_infer = [n for n, dtype in schema.items() if n not in targets and dtype == pl.String]
    sample = frame.select(to_infer).head(INFERENCE_ROWS).collect() if to_infer else None
    for name, dtype in schema.items():
        if name in targets:
            continue
        targets[name] = _infer(sample, name) if sample is not None and name in to_infer else dtype
    return targets


def _infer(sample: pl.DataFrame, name: str) -> pl.DataType:
    """The first candidate type that reads nearly all non-blank sample values, else String."""
    present = sample.select(_present(name, pl.String()).sum()).item()
    if present == 0:
        return pl.String()
    for type_name in INFERRED_TYPES:
        target = COLUMN_TYPES[type_name]
        flag = _failed(name, pl.String(), _convert(name, pl.String(), target))
        if sample.select(flag.sum()).item() <= present * INFERENCE_MAX_FAILED_SHARE:
            return target
    return pl.String()


def _convert(name: str, source: pl.DataType, target: pl.DataType) -> pl.Expr:
    """The column in its target type; values that do not fit become null."""
    column = pl.col(name)
    if source == target:
        return column
    if source != pl.String:
        return column.cast(target, strict=False)
    text = column.str.strip_chars()
    if target == pl.Date:
        return text.str.to_date(strict=False)
    if target == pl.Datetime:
        return text.str.to_datetime(strict=False, time_unit="us")
    if target == pl.Boolean:
        return text.str.to_lowercase().replace_strict(
            {"true": True, "false": False}, default=None, return_dtype=pl.Boolean
        )
    return text.cast(target, strict=False)


def _present(name: str, source: pl.DataType) -> pl.Expr:
    """True where the column holds a value: blank text counts as missing."""
    if source == pl.String:
        return pl.col(name).str.strip_chars().fill_null("") != ""
    return pl.col(name).is_not_null()


def _blank(name: str, source: pl.DataType) -> pl.Expr:
    return ~_present(name, source)


def _failed(name: str, source: pl.DataType, converted: pl.Expr) -> pl.Expr:
    """True where a value was present but does not fit the target type."""
    return _present(name, source) & converted.is_null()


def _type_name(dtype: pl.DataType) -> str:
    names = {str(value): name for name, value in COLUMN_TYPES.items()}
    return names.get(str(dtype), str(dtype))


def _rejected_row(
    record: dict[str, object], columns: list[str], short: Mapping[int, int]
) -> RejectedRow:
    bad = {name: str(record[name]) for name in columns if record[f"__failed_{name}"]}
    row = cast(int, record[_ROW])
    fields = short.get(row) if record[_SHORT] else None
    return RejectedRow(
        row=row,
        values=bad,
        extra_fields=bool(record[EXTRA_FIELDS]),
        fields=fields,
        header_fields=None if fields is None else len(columns),
    )
