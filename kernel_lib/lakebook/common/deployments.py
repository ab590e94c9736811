"""How lakebook names Prefect deployments, shared by the runner that serves them and the gateway."""

DEPLOYMENT_NAME = "lakebook"
# Prefect run tag that records the lakebook user who launched a run.
OWNER_TAG_PREFIX = "lakebook-user:"


def deployment_path(flow_name: str) -> str:
    """Prefect's `flow/deployment` name of a lakebook flow."""
    return f"{flow_name}/{DEPLOYMENT_NAME}"


# A lakebook notebook schedule's Prefect slug is `lakebook:{owner}:{name}`. Prefect records the
# slug of the schedule that made a run in the run's `created_by`, which is how a scheduled run is
# known to be its schedule owner's: the gateway claims it, the flow names the owner in its report.
SCHEDULE_SLUG_PREFIX = "lakebook:"


def schedule_slug(owner: str, name: str) -> str:
    return f"{SCHEDULE_SLUG_PREFIX}{owner}:{name}"


def parse_schedule_slug(slug: str | None) -> tuple[str, str] | None:
    """(owner, name) of a lakebook schedule's slug; None for schedules made outside lakebook."""
    if not slug or not slug.startswith(SCHEDULE_SLUG_PREFIX):
        return None
    owner, _, name = slug.removeprefix(SCHEDULE_SLUG_PREFIX).partition(":")
    return (owner, name) if owner and name else None
