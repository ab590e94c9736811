"""Waiting on a condition instead of sleeping for a guessed time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    condition: Callable[[], T], *, awaiting: str, timeout: float, interval: float = 0.1
) -> T:
    """The first truthy value of `condition()`, polled every `interval` s for at most `timeout`
    s; fails naming what was `awaiting` and the last value seen. An exception from `condition`
    (e.g. "the process exited") ends the wait at once."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout} s awaiting {awaiting} (last: {value!r})"
            )
        time.sleep(interval)
    return value
