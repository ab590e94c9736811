"""Built-in flows that the embedded runner serves."""

from __future__ import annotations

import time
from typing import Annotated

from prefect import flow, get_run_logger
from pydantic import Field

from lakebook.flows import ingest, notebook, transform
from lakebook.flows.ingest import ingest_upload
from lakebook.flows.lake_tasks import NO_PREFECT_RESULT
from lakebook.flows.notebook import run_notebook
from lakebook.flows.transform import transform_dataset


@flow(
    name="ping",
    description="Does nothing and completes: checks that runs get picked up.",
    **NO_PREFECT_RESULT,
)
def ping(
    message: str = "pong",
    wait_seconds: Annotated[float, Field(ge=0, le=600)] = 0.0,
) -> str:
    """Logs and returns its message, after an optional wait (to watch or cancel a live run)."""
    get_run_logger().info("ping: %s", message)
    time.sleep(wait_seconds)
    return message


BUILTIN_FLOWS = (ping, ingest_upload, transform_dataset, run_notebook)
# Deployment tags: runs inherit them, so Prefect tag concurrency limits ("heavy") apply.
DEPLOYMENT_TAGS = {
    ingest.FLOW_NAME: ingest.TAGS,
    transform.FLOW_NAME: transform.TAGS,
    notebook.FLOW_NAME: notebook.TAGS,
}
