"""The embedded flow runner: `python -m lakebook.flows.serve` serves every lakebook flow."""

from __future__ import annotations

import asyncio
import contextlib

from prefect.runner import Runner

from lakebook.common.deployments import DEPLOYMENT_NAME
from lakebook.common.settings import load_settings
from lakebook.flows.builtin import BUILTIN_FLOWS, DEPLOYMENT_TAGS
from lakebook.flows.warm_start import use_warm_processes


async def serve_flows(poll_seconds: float) -> None:
    """Registers one deployment per flow and polls Prefect for their runs until stopped."""
    # Prefect's own poll setting is whole seconds; the Runner takes a float.
    runner = Runner(query_seconds=poll_seconds, pause_on_shutdown=True)
    for flow in BUILTIN_FLOWS:
        # add_flow, unlike serve(flow.to_deployment()), keeps the flow object: runs start from
        # it in a child process instead of `python -m prefect.engine` re-importing everything.
        await runner.aadd_flow(
            flow, name=DEPLOYMENT_NAME, tags=sorted(DEPLOYMENT_TAGS.get(flow.name, ()))
        )
    await runner.start()


def main() -> None:
    # Each run forks from a process that has already imported the flows (see warm_start).
    use_warm_processes()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_flows(load_settings().runner_poll_seconds))


if __name__ == "__main__":
    main()
