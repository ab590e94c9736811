"""What `lakebook up` sets in its Prefect server once it answers: the limit on heavy tasks, and
an automation that marks a run whose process died as Crashed instead of Running for ever."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import httpx

from lakebook.common.settings import Settings

if TYPE_CHECKING:
    from prefect.events.schemas.automations import AutomationCore

HEAVY_TAG = "heavy"
SILENT_RUNS_AUTOMATION = "lakebook: crash runs that stop sending heartbeats"
# A run is Crashed once this many heartbeats in a row have not come.
MISSED_HEARTBEATS = 3
HEARTBEAT_EVENT = "prefect.flow-run.heartbeat"
# After these a run's process stops sending heartbeats on purpose (a suspended run's exits too).
ENDED_RUN_EVENTS = tuple(
    f"prefect.flow-run.{state}"
    for state in ("Completed", "Failed", "Cancelled", "Crashed", "Suspended")
)


def configure_prefect(settings: Settings) -> None:
    """Both settings are kept up to date on every start, so changed settings apply."""
    limit_heavy_runs(settings)
    crash_silent_runs(settings)


def limit_heavy_runs(settings: Settings) -> None:
    """At most `heavy_concurrency` task runs tagged "heavy" (transforms) at once, stack-wide."""
    response = httpx.post(
        f"{settings.prefect.url}/concurrency_limits/",
        json={"tag": HEAVY_TAG, "concurrency_limit": settings.flows.heavy_concurrency},
        timeout=settings.outbound_timeout_seconds,
    )
    if response.status_code >= 300:
        raise RuntimeError(f"cannot set the {HEAVY_TAG!r} concurrency limit: {response.text}")


def silent_runs_automation(heartbeat_seconds: int) -> AutomationCore:
    """Proactive: after a run's heartbeat, another heartbeat or its end must follow in time.

    Nothing else tells Prefect that a run's process is gone when the whole runner dies (killed,
    the machine restarted): its runs stayed Running, and so did their rows in the sidebar."""
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture

    silence = timedelta(seconds=MISSED_HEARTBEATS * heartbeat_seconds)
    return AutomationCore(
        name=SILENT_RUNS_AUTOMATION,
        description=f"Set by lakebook up: a flow run that sent no heartbeat for {silence} "
        "is marked Crashed (its process died without ending the run).",
        trigger=EventTrigger(
            match={"prefect.resource.id": "prefect.flow-run.*"},
            # Runs of deployments only: on this stack lakebook's runner runs those, with its
            # heartbeat interval. A flow called from a script or notebook beats at Prefect's
            # default (every 180 s) and would look silent long before it is.
            match_related={"prefect.resource.role": "deployment"},
            after={HEARTBEAT_EVENT},
            expect={HEARTBEAT_EVENT, *ENDED_RUN_EVENTS},
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=silence,
        ),
        actions=[
            ChangeFlowRunState(
                name=None,
                state=StateType.CRASHED,
                # Not forced: a run that did end in the meantime keeps its final state.
                force=False,
                message=f"no heartbeat for {silence}: the run's process died "
                "(was its runner stopped or killed?)",
            )
        ],
    )


def crash_silent_runs(settings: Settings) -> None:
    """Creates the automation, or updates it to this stack's heartbeat interval."""
    from prefect.client.orchestration import SyncPrefectClient

    automation = silent_runs_automation(settings.flows.run_heartbeat_seconds)
    with SyncPrefectClient(
        settings.prefect.url, httpx_settings={"timeout": settings.outbound_timeout_seconds}
    ) as client:
        existing = client.read_automations_by_name(SILENT_RUNS_AUTOMATION)
        if existing:
            client.update_automation(existing[0].id, automation)
        else:
            client.create_automation(automation)
