"""Waiting on a condition instead of sleeping for a guessed time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    condition: Callable[[], T],
    *,
    awaiting: str | Callable[[], str],
    timeout: float,
    interval: float = 0.1,
) -> T:
    """The first truthy value of `condition()`, polled every `interval` s for at most `timeout`
    s. On timeout it fails naming what it was `awaiting` (a callable is asked then, so it can
    describe the latest state) and the last value seen. An exception from `condition` (e.g.
    "the process exited") ends the wait at once."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            what = awaiting() if callable(awaiting) else awaiting
            raise AssertionError(f"timed out after {timeout} s awaiting {what} (last: {value!r})")
        time.sleep(interval)
    return value
