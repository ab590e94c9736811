"""What `lakebook up` tells the person at the terminal while services start and stop."""

from __future__ import annotations

import sys
from typing import TextIO


class Console:
    """Progress lines: one when a service starts, one when it is healthy, with its URL."""

    def __init__(self, stream: TextIO | None = None, *, debug: bool = False) -> None:
        self.stream = stream or sys.stdout
        self.interactive = self.stream.isatty()
        self.debug = debug

    def brief(self, text: str) -> str:
        """A run's message as the terminal shows it: a Prefect failure message or a log line
        carries a whole traceback whose first line already says what is wrong; the rest only
        with --debug (it stays in the run's log either way)."""
        if self.debug:
            return text
        lines = text.strip().splitlines()
        if len(lines) <= 1:
            return text.strip()
        return f"{lines[0]} (traceback: `lakebook --debug run …` or the run's log)"

    def say(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def starting(self, name: str) -> None:
        if self.interactive:
            print(f"  … {name:<8} starting", end="\r", file=self.stream, flush=True)
        else:
            self.say(f"  … {name:<8} starting")

    def ready(self, name: str, seconds: float, url: str) -> None:
        self.say(f"  ✓ {name:<8} ready in {seconds:4.1f} s  {url}")

    def stopped(self, name: str) -> None:
        self.say(f"  ■ {name:<8} stopped")

    def note(self, text: str) -> None:
        """A remark for the person, not the output: on stderr, so pipes see only results."""
        print(f"lakebook: {text}", file=sys.stderr, flush=True)

    def error(self, text: str) -> None:
        print(f"lakebook: error: {text}", file=sys.stderr, flush=True)
