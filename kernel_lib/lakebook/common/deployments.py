"""How lakebook names Prefect deployments, shared by the runner that serves them and the gateway."""

DEPLOYMENT_NAME = "lakebook"
# Prefect run tag that records the lakebook user who launched a run.
OWNER_TAG_PREFIX = "lakebook-user:"


def deployment_path(flow_name: str) -> str:
    """Prefect's `flow/deployment` name of a lakebook flow."""
    return f"{flow_name}/{DEPLOYMENT_NAME}"
