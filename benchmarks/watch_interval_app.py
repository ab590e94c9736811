"""The gateway app with its run watcher polling Prefect every BENCH_WATCH_INTERVAL seconds.

Run by benchmarks.sse_latency to measure the lever behind the SSE latency without changing the
product's default (RunWatcher's `interval_seconds`, 0.5 s, is a constructor default, not a setting).
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from lakebook.gateway import main, run_events


def create_app() -> FastAPI:
    interval = float(os.environ["BENCH_WATCH_INTERVAL"])
    run_events.RunWatcher.__init__.__defaults__ = (interval,)
    return main.create_app()
