"""The embedded flow runner: `python -m lakebook.flows.serve` serves lakebook's built-in flows and
the user's own (LAKEBOOK_FLOWS_DIR and `lakebook.flows` entry points)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from prefect.runner import Runner

from lakebook.common.deployments import DEPLOYMENT_NAME
from lakebook.common.settings import get_settings
from lakebook.flows.discovery import DiscoveredFlows, deployment_tags, discover_flows
from lakebook.flows.prefect_compat import install_runner

logger = logging.getLogger("lakebook.flows.serve")


async def serve_flows(found: DiscoveredFlows, poll_seconds: float) -> None:
    """Registers one deployment per flow and polls Prefect for their runs until stopped."""
    # Prefect's own poll setting is whole seconds; the Runner takes a float.
    runner = Runner(query_seconds=poll_seconds, pause_on_shutdown=True)
    for flow in found.flows:
        # add_flow, unlike serve(flow.to_deployment()), keeps the flow object: runs start from
        # it in a child process instead of `python -m prefect.engine` re-importing everything.
        await runner.aadd_flow(flow, name=DEPLOYMENT_NAME, tags=deployment_tags(flow))
    logger.info("serving %s", ", ".join(flow.name for flow in found.flows))
    await runner.start()


def main() -> None:
    settings = get_settings()
    found = discover_flows(settings.flows.flows_dir)
    for problem in found.problems:
        logger.error("not serving: %s", problem)
    # Each run forks from a process that has already imported the flows (see warm_start).
    install_runner()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_flows(found, settings.flows.runner_poll_seconds))


if __name__ == "__main__":
    main()
