"""What `lakebook up` sets in Prefect: one automation that crashes silent runs, kept up to date.

The session's Prefect server was started through `prefect_service`, as `lakebook up` starts it,
so the automation is already there; a killed run meeting it is tests/flows/test_transform_killed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from prefect.client.orchestration import SyncPrefectClient
from prefect.events.schemas.automations import Automation, EventTrigger, Posture
from prefect.events.schemas.events import ResourceSpecification

from lakebook.cli.stack.prefect_setup import SILENT_RUNS_AUTOMATION, crash_silent_runs
from lakebook.common.settings import Settings


@pytest.fixture
def prefect(prefect_api_url: str, tmp_path: Path) -> Iterator[Settings]:
    settings = Settings(data_dir=tmp_path, prefect_api_url=prefect_api_url)
    yield settings
    crash_silent_runs(settings)  # back to the default heartbeat for the other tests


def silent_runs_automations(settings: Settings) -> list[Automation]:
    with SyncPrefectClient(settings.prefect.url) as client:
        return client.read_automations_by_name(SILENT_RUNS_AUTOMATION)


def test_one_automation_crashes_runs_three_heartbeats_silent(prefect: Settings) -> None:
    (automation,) = silent_runs_automations(prefect)
    assert automation.enabled
    trigger = automation.trigger
    assert isinstance(trigger, EventTrigger)
    assert trigger.posture == Posture.Proactive
    assert trigger.within == timedelta(seconds=90)
    assert trigger.after == {"prefect.flow-run.heartbeat"}
    # Only deployment runs (lakebook's runner beats every 30 s); a flow called from a script
    # beats every 180 s, Prefect's default, and must not be taken for dead.
    assert trigger.match_related == ResourceSpecification({"prefect.resource.role": "deployment"})
    # An ended run stops its heartbeats on purpose; those must not count as silence.
    assert {"prefect.flow-run.Completed", "prefect.flow-run.Failed"} <= trigger.expect
    (action,) = automation.actions
    assert action.model_dump()["state"] == "CRASHED"


def test_starting_again_updates_the_automation_instead_of_adding_one(prefect: Settings) -> None:
    crash_silent_runs(prefect.with_values(run_heartbeat_seconds=60))
    (automation,) = silent_runs_automations(prefect)
    assert isinstance(automation.trigger, EventTrigger)
    assert automation.trigger.within == timedelta(seconds=180)


def test_a_heartbeat_below_prefects_minimum_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="run_heartbeat_seconds"):
        Settings(data_dir=tmp_path, run_heartbeat_seconds=5)
