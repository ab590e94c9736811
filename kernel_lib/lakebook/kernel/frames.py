"""Lets SQL read the user's data frames by name, without copying them and without pyarrow."""

from __future__ import annotations

import types
from collections.abc import Iterable, Mapping
from typing import Any

import duckdb
import polars as pl

# Libraries whose frames DuckDB scans natively; Polars goes through the Arrow C stream instead,
# because DuckDB's own Polars path converts via pyarrow.
_NATIVE_MODULES = frozenset({"pandas", "pyarrow"})


class ArrowStream:
    """A Polars frame seen through the Arrow PyCapsule interface: DuckDB asks for a fresh
    stream on every scan, so a frame can be joined with itself."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        return self.frame.__arrow_c_stream__(requested_schema)


class LazyArrowStream:
    """A Polars LazyFrame for DuckDB: collected once per query, on first scan, by Polars'
    streaming engine, then handed over through the Arrow C stream like a DataFrame.

    DuckDB's own LazyFrame path does `lf.collect().to_arrow()` (in-memory engine, pyarrow) on
    every scan, and a self-join or DuckDB's schema probe scans twice. Streaming straight into
    DuckDB (`collect_batches`) is unstable in Polars and, by its own docs, slower than a
    collect; and an Arrow C stream offers DuckDB no projection or filter pushdown, so neither
    route reads less. Narrow a big LazyFrame in Polars (`lf.select(...).filter(...)`) first.
    """

    def __init__(self, frame: pl.LazyFrame) -> None:
        self.frame = frame
        self._collected: pl.DataFrame | None = None

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        if self._collected is None:
            self._collected = self.frame.collect(engine="streaming")
        return self._collected.__arrow_c_stream__(requested_schema)


def scannable_frames(words: Iterable[str], namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The user's frames among the words of a query, ready for DuckDB's replacement scan."""
    frames: dict[str, Any] = {}
    for word in words:
        value = namespace.get(word)
        if isinstance(value, pl.DataFrame):
            frames[word] = ArrowStream(value)
        elif isinstance(value, pl.LazyFrame):
            frames[word] = LazyArrowStream(value)
        elif type(value).__module__.split(".")[0] in _NATIVE_MODULES:
            frames[word] = value
    return frames


def _sql_in_scope(
    _lakebook_connection: duckdb.DuckDBPyConnection,
    _lakebook_sql: str,
    _lakebook_parameters: dict[str, Any],
) -> duckdb.DuckDBPyRelation | None:
    # Runs with the user's frames as its globals: DuckDB's replacement scan looks up unknown
    # table names in the calling frame. Local names are prefixed so they cannot shadow a frame.
    return _lakebook_connection.sql(_lakebook_sql, params=_lakebook_parameters or None)


def sql_with_frames(
    connection: duckdb.DuckDBPyConnection,
    sql: str,
    parameters: dict[str, Any],
    frames: Mapping[str, Any],
) -> duckdb.DuckDBPyRelation | None:
    """`connection.sql` where table names may also be the given frames."""
    scope: dict[str, Any] = {"__builtins__": __builtins__, **frames}
    in_scope = types.FunctionType(_sql_in_scope.__code__, scope)
    relation: duckdb.DuckDBPyRelation | None = in_scope(connection, sql, parameters)
    return relation
