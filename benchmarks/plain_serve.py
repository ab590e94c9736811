"""The baseline a Prefect user would write: one no-op flow, `flow.serve()`, nothing else imported.

Run by benchmarks.launch with PREFECT_RUNNER_POLL_FREQUENCY=1 (Prefect's default is 10 s).
"""

from prefect import flow


@flow(name="noop")
def noop() -> str:
    return "done"


if __name__ == "__main__":
    noop.serve(name="plain", print_starting_message=False)
