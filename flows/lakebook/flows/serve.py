"""The embedded flow runner: `python -m lakebook.flows.serve` serves every lakebook flow."""

from __future__ import annotations

from prefect import serve
from prefect.deployments.runner import RunnerDeployment

from lakebook.common.deployments import DEPLOYMENT_NAME
from lakebook.common.settings import load_settings
from lakebook.flows.builtin import BUILTIN_FLOWS, DEPLOYMENT_TAGS, PARTITIONED_FLOWS
from lakebook.flows.task_runners import task_runner_for


def main() -> None:
    """Registers one deployment per flow and polls Prefect for their runs until stopped."""
    # Served flows run from these objects (pickled into each run's process), so the task
    # runner chosen here (LAKEBOOK_TASK_RUNNER) is the one partitioned flows use.
    task_runner = task_runner_for(load_settings())
    flows = [
        flow.with_options(task_runner=task_runner) if flow.name in PARTITIONED_FLOWS else flow
        for flow in BUILTIN_FLOWS
    ]
    # to_deployment is sync here (no running event loop), so it returns the deployment itself.
    deployments: list[RunnerDeployment] = [
        flow.to_deployment(  # type: ignore[misc]
            name=DEPLOYMENT_NAME, tags=sorted(DEPLOYMENT_TAGS.get(flow.name, ()))
        )
        for flow in flows
    ]
    serve(*deployments, print_starting_message=False)


if __name__ == "__main__":
    main()
