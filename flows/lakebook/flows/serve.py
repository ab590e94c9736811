"""The embedded flow runner: `python -m lakebook.flows.serve` serves lakebook's built-in flows and
the user's own (LAKEBOOK_FLOWS_DIR and `lakebook.flows` entry points)."""

from __future__ import annotations

import logging

from prefect import serve
from prefect.deployments.runner import RunnerDeployment

from lakebook.common.deployments import DEPLOYMENT_NAME
from lakebook.common.settings import load_settings
from lakebook.flows.builtin import PARTITIONED_FLOWS
from lakebook.flows.discovery import deployment_tags, discover_flows
from lakebook.flows.task_runners import task_runner_for

logger = logging.getLogger("lakebook.flows.serve")


def main() -> None:
    """Registers one deployment per flow and polls Prefect for their runs until stopped."""
    settings = load_settings()
    found = discover_flows(settings.flows_dir)
    for problem in found.problems:
        logger.error("not serving: %s", problem)
    # Served flows run from these objects (pickled into each run's process), so the task
    # runner chosen here (LAKEBOOK_TASK_RUNNER) is the one partitioned flows use.
    task_runner = task_runner_for(settings)
    flows = [
        flow.with_options(task_runner=task_runner) if flow.name in PARTITIONED_FLOWS else flow
        for flow in found.flows
    ]
    # to_deployment is sync here (no running event loop), so it returns the deployment itself.
    deployments: list[RunnerDeployment] = [
        flow.to_deployment(  # type: ignore[misc]
            name=DEPLOYMENT_NAME, tags=deployment_tags(flow)
        )
        for flow in flows
    ]
    logger.info("serving %s", ", ".join(flow.name for flow in flows))
    serve(*deployments, print_starting_message=False)


if __name__ == "__main__":
    main()
