"""The embedded flow runner: `python -m lakebook.flows.serve` serves lakebook's built-in flows and
the user's own (LAKEBOOK_FLOWS_DIR and `lakebook.flows` entry points)."""

from __future__ import annotations

import logging

from prefect import serve
from prefect.deployments.runner import RunnerDeployment

from lakebook.common.deployments import DEPLOYMENT_NAME
from lakebook.common.settings import load_settings
from lakebook.flows.discovery import deployment_tags, discover_flows

logger = logging.getLogger("lakebook.flows.serve")


def main() -> None:
    """Registers one deployment per flow and polls Prefect for their runs until stopped."""
    found = discover_flows(load_settings().flows_dir)
    for problem in found.problems:
        logger.error("not serving: %s", problem)
    # to_deployment is sync here (no running event loop), so it returns the deployment itself.
    deployments: list[RunnerDeployment] = [
        flow.to_deployment(  # type: ignore[misc]
            name=DEPLOYMENT_NAME, tags=deployment_tags(flow)
        )
        for flow in found.flows
    ]
    logger.info("serving %s", ", ".join(flow.name for flow in found.flows))
    serve(*deployments, print_starting_message=False)


if __name__ == "__main__":
    main()
