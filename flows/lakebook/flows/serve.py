"""The embedded flow runner: `python -m lakebook.flows.serve` serves every lakebook flow."""

from __future__ import annotations

from prefect import serve
from prefect.deployments.runner import RunnerDeployment

from lakebook.common.deployments import DEPLOYMENT_NAME
from lakebook.flows.builtin import BUILTIN_FLOWS, DEPLOYMENT_TAGS


def main() -> None:
    """Registers one deployment per flow and polls Prefect for their runs until stopped."""
    # to_deployment is sync here (no running event loop), so it returns the deployment itself.
    deployments: list[RunnerDeployment] = [
        flow.to_deployment(  # type: ignore[misc]
            name=DEPLOYMENT_NAME, tags=sorted(DEPLOYMENT_TAGS.get(flow.name, ()))
        )
        for flow in BUILTIN_FLOWS
    ]
    serve(*deployments, print_starting_message=False)


if __name__ == "__main__":
    main()
