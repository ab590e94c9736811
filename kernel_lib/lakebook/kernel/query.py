"""Runs one statement on the kernel's connection: interruptible, materialised, previewed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import duckdb
import polars as pl
from IPython.core.error import UsageError

from lakebook.kernel.frames import sql_with_frames
from lakebook.kernel.render import ResultPreview, TextPreview

OutputFormat = Literal["polars", "pandas", "arrow"]
T = TypeVar("T")

# How often the waiting thread wakes up to notice Ctrl-C / the kernel's interrupt.
_INTERRUPT_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class QueryOutcome:
    """What a statement produced (None for statements without rows) and how to show it."""

    result: Any
    preview: ResultPreview | TextPreview


def describe_error(error: BaseException) -> str:
    """DuckDB's message on one line, keeping its `LINE n:` context and dropping caret lines."""
    text = str(error).split("Stack Trace:")[0]
    lines = [line.strip() for line in text.splitlines()]
    return " — ".join(line for line in lines if line and set(line) != {"^"})


def run_interruptibly(connection: duckdb.DuckDBPyConnection, work: Callable[[], T]) -> T:
    """Runs work on a helper thread so an interrupt can cancel DuckDB and leave it usable."""
    future = _helper().submit(work)
    try:
        while True:
            try:
                return future.result(timeout=_INTERRUPT_POLL_SECONDS)
            except FutureTimeout:
                continue
    except KeyboardInterrupt:
        connection.interrupt()
        future.exception()  # waits until DuckDB has stopped and released the connection
        raise UsageError("query interrupted") from None
    except duckdb.Error as error:
        raise UsageError(describe_error(error)) from None


def _helper() -> ThreadPoolExecutor:
    """The one helper thread, kept for the kernel's life: starting a thread per query cost
    ~0.3-0.8 ms (the new thread must get the GIL before `start` returns). Queries come one at a
    time from the kernel's main thread, and each waits for the last to stop."""
    global _helper_pool
    with _helper_lock:
        if _helper_pool is None:
            _helper_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lakebook-duckdb")
        return _helper_pool


_helper_pool: ThreadPoolExecutor | None = None
_helper_lock = threading.Lock()


def run_query(
    connection: duckdb.DuckDBPyConnection,
    sql: str,
    *,
    parameters: dict[str, Any],
    frames: Mapping[str, Any],
    output_format: OutputFormat,
    display_limit: int,
) -> QueryOutcome:
    """Executes a statement and materialises its rows in the asked format."""
    started = time.perf_counter()

    def work() -> tuple[Any, list[str], list[str]]:
        relation = sql_with_frames(connection, sql, parameters, frames)
        if relation is None:
            return None, [], []
        result = _materialise(relation, output_format)
        return result, list(relation.columns), [str(kind) for kind in relation.types]

    result, columns, types = run_interruptibly(connection, work)
    elapsed = time.perf_counter() - started
    if result is None:
        return QueryOutcome(None, TextPreview(f"done in {elapsed:.3f} s"))
    total, rows = _head(result, display_limit)
    return QueryOutcome(result, ResultPreview(columns, types, rows, total, elapsed))


def explain(
    connection: duckdb.DuckDBPyConnection,
    sql: str,
    *,
    parameters: dict[str, Any],
    frames: Mapping[str, Any],
) -> QueryOutcome:
    """DuckDB's physical plan for a statement, as text."""

    def work() -> str:
        relation = sql_with_frames(connection, f"EXPLAIN {sql}", parameters, frames)
        rows = relation.fetchall() if relation is not None else []
        return "\n".join(str(row[-1]) for row in rows)

    plan = run_interruptibly(connection, work)
    return QueryOutcome(plan, TextPreview(plan))


def _materialise(relation: duckdb.DuckDBPyRelation, output_format: OutputFormat) -> Any:
    if output_format == "polars":
        # Through the Arrow C stream: DuckDB's own .pl() needs pyarrow, this does not.
        return pl.DataFrame(relation)
    try:
        return relation.df() if output_format == "pandas" else relation.to_arrow_table()
    except ModuleNotFoundError as error:
        package = "pandas" if output_format == "pandas" else "pyarrow"
        raise UsageError(
            f"--{output_format} needs the {package} package (cannot import {error.name})"
        ) from None


def _head(result: Any, limit: int) -> tuple[int, list[tuple[Any, ...]]]:
    """Row count and the first rows of a Polars, pandas or Arrow result."""
    if isinstance(result, pl.DataFrame):
        return result.height, result.head(limit).rows()
    if hasattr(result, "itertuples"):
        rows = list(result.head(limit).itertuples(index=False, name=None))
        return len(result), rows
    head = result.slice(0, limit).to_pylist()
    return result.num_rows, [tuple(row.values()) for row in head]
