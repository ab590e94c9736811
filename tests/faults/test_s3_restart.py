"""SeaweedFS killed in the middle of a partitioned transform_dataset write (issue 24, 3.1): the
run ends with a message that names the lake, nothing half-written is visible, what was in the
lake before is byte for byte intact, and once SeaweedFS is back a new run publishes once."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import StateType

from lakebook.lake.publisher import LakePublisher
from lakebook.lake.store import LakeNotFoundError
from tests.flows.test_transform_killed import (
    FINAL,
    SPEC,
    KillableStack,
    assert_published_once,
    big_orders,
    launch,
    private_prefect_stack,
    wait_for,
    wait_for_parts,
)
from tests.utils.flow_stacks import start_s3_server
from tests.utils.killable import Killable
from tests.utils.services import quiet_supervisor

# What the run's failure must name, whichever call met the dead S3 first.
LAKE_WORDS = ("the lake's S3 endpoint does not answer",)
FIGURES = Path(__file__).parents[2] / "test-artifacts" / "faults-s3-restart.json"


@dataclass(frozen=True)
class LakeOnKillableS3:
    s3: Killable
    stack: KillableStack


@pytest.fixture
def lake(tmp_path: Path) -> Iterator[LakeOnKillableS3]:
    s3 = Killable(quiet_supervisor(tmp_path / "s3-stack.json"))
    try:
        server = start_s3_server(s3.supervisor, tmp_path / "seaweed")
        data_dir = tmp_path / "stack"
        data_dir.mkdir()
        with private_prefect_stack(server, data_dir, lake_prefix="faults") as stack:
            yield LakeOnKillableS3(s3, stack)
    finally:
        s3.supervisor.stop_all()


def checksums(publisher: LakePublisher, dataset: str) -> dict[str, str]:
    """SHA-256 of every object of a dataset."""
    prefix = publisher.paths.dataset_prefix(dataset)
    return {
        key: hashlib.sha256(publisher.store.read_bytes(key)).hexdigest()
        for key in sorted(publisher.store.find(prefix))
    }


def test_seaweedfs_killed_mid_write_loses_nothing_and_shows_nothing_half_written(
    lake: LakeOnKillableS3,
) -> None:
    stack, publisher = lake.stack, lake.stack.publisher
    orders = big_orders()
    publisher.publish(orders, dataset="big_orders", run_id="big-1", flow_name="test")
    before = checksums(publisher, "big_orders")
    assert before
    stack.start_runner()

    with get_client(sync_client=True) as client:
        broken = launch(SPEC)
        wait_for(client, broken, lambda state: state == StateType.RUNNING, "RUNNING")
        wait_for_parts(client, publisher, broken)
        service = lake.s3.kill("s3")
        killed = time.monotonic()
        state = wait_for(client, broken, lambda state: state.value in FINAL, "to a final state")
        ended_after = time.monotonic() - killed
        final = client.read_flow_run(broken).state
        assert final is not None
        assert state in {StateType.FAILED, StateType.CRASHED}, final
        state_of_broken = state
        assert final.message is not None
        assert any(word in final.message for word in LAKE_WORDS), final.message

        lake.s3.start(service)
        # Nothing of the broken run is visible; what was there before is intact.
        assert publisher.list_runs(SPEC["output"]) == []
        with pytest.raises(LakeNotFoundError):
            publisher.scan(SPEC["output"])
        assert checksums(publisher, "big_orders") == before

        fresh = launch(SPEC)
        state = wait_for(client, fresh, lambda state: state.value in FINAL, "to a final state")
        assert state == StateType.COMPLETED
        assert [run.run_id for run in publisher.list_runs(SPEC["output"])] == [str(fresh)]
        assert_published_once(publisher, fresh, orders)
    assert ended_after < 120, f"the broken run took {ended_after:.0f} s to end"
    FIGURES.parent.mkdir(exist_ok=True)
    FIGURES.write_text(
        json.dumps(
            {
                "broken_run_ended_after_seconds": round(ended_after, 1),
                "broken_run_state": state_of_broken.value,
                "broken_run_message": final.message[:300],
            },
            indent=2,
        )
    )
