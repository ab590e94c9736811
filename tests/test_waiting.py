"""wait_until: the first truthy value, or a failure naming what was awaited."""

from __future__ import annotations

import itertools

import pytest

from tests.utils.waiting import wait_until


def test_the_first_truthy_value_comes_back() -> None:
    values = iter([0, [], "ready"])
    assert wait_until(lambda: next(values), awaiting="readiness", timeout=5, interval=0) == "ready"


def test_a_timeout_names_what_was_awaited_and_the_last_value() -> None:
    counter = itertools.count()
    with pytest.raises(AssertionError, match=r"after 0.05 s awaiting the answer \(last: 0\)"):
        wait_until(lambda: 0 * next(counter), awaiting="the answer", timeout=0.05, interval=0.01)
    assert next(counter) > 1, "it polled more than once"


def test_a_described_wait_is_described_when_it_fails() -> None:
    seen: list[str] = []
    with pytest.raises(AssertionError, match=r"awaiting RUNNING \(saw \['PENDING'\]\)"):
        wait_until(
            lambda: seen.append("PENDING"),
            awaiting=lambda: f"RUNNING (saw {seen[:1]})",
            timeout=0,
        )


def test_an_exception_in_the_condition_ends_the_wait() -> None:
    def exited() -> bool:
        raise RuntimeError("the process exited")

    with pytest.raises(RuntimeError, match="exited"):
        wait_until(exited, awaiting="never", timeout=60)
