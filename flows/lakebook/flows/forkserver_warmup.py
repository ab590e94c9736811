"""Imported by the runner's forkserver before it forks flow runs (`warm_start.PRELOAD_MODULES`):
lakebook's changes to flow calls, which every run inherits (`prefect_compat.install_flow_calls`),
and what each run's first lake call would otherwise load for itself.

A run forked without it spent ~0.35 s of its own time on its first S3 call: ~0.13 s importing
s3fs and aiobotocore (fsspec imports them on first use), ~0.2 s parsing the S3 service model for
a new botocore session. Forked after it, the first call took ~50 ms (2026-12-04).
"""

from __future__ import annotations

import logging

# Imported here for their side effect: loaded once, inherited by every run. Prefect imports the
# rest lazily inside a run: its task engine and concurrency slots at the first task call,
# FastAPI's encoder to serialize parameters, its visualization module at every flow call.
import fastapi.encoders  # noqa: F401
import prefect.concurrency.sync  # noqa: F401
import prefect.task_engine  # noqa: F401
import prefect.utilities.visualization  # noqa: F401
import s3fs  # noqa: F401

from lakebook.flows.prefect_compat import install_flow_calls
from lakebook.lake.store import warm_s3_session

install_flow_calls()
try:
    warm_s3_session()
except Exception as error:  # noqa: BLE001 - a warm-up must never keep the runner from forking runs
    logging.getLogger(__name__).warning(
        "S3 warm-up failed (each run loads its S3 client itself): %s", error
    )
