"""Built-in flows that the embedded runner serves."""

from __future__ import annotations

from prefect import flow


@flow(name="ping", description="Does nothing and completes: checks that runs get picked up.")
def ping(message: str = "pong") -> str:
    """Returns its message; used to check the runner and to measure launch latency."""
    return message


BUILTIN_FLOWS = (ping,)
