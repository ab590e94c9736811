"""SIGKILL of the runner in the middle of a partitioned transform_dataset: readers see nothing
new, Prefect marks the silent run Crashed, and a rerun (a new run, or Prefect retrying the
killed run id) publishes exactly once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from uuid import UUID

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.objects import StateType
from prefect.deployments import run_deployment
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.states import Scheduled

from lakebook.cli.stack.services import prefect_service, runner_service, settings_env
from lakebook.cli.stack.supervisor import Supervisor
from lakebook.common.deployments import deployment_path
from lakebook.common.settings import Settings
from lakebook.lake.publisher import LakePublisher
from lakebook.lake.store import LakeNotFoundError, LakeStore
from tests.utils.killable import kill_service
from tests.utils.ports import free_port
from tests.utils.services import S3Server, quiet_supervisor

# Big enough that the partition tasks take seconds (sixteen part files, each a Prefect task run
# and an S3 write), so the kill lands mid-run; the test fails, saying so, if the run wins.
ROWS = 400_000
PARTITION_ROWS = 25_000
SPEC: dict[str, Any] = {
    "inputs": [{"dataset": "big_orders"}],
    "steps": [
        {"step": "filter", "condition": {"op": "<", "args": [{"col": "amount"}, {"lit": 500}]}},
        {
            "step": "with_columns",
            "columns": [
                {"name": "gross", "expr": {"op": "*", "args": [{"col": "amount"}, {"lit": 2}]}}
            ],
        },
    ],
    "output": "cheap_big_orders",
}
WAIT_SECONDS = 240.0
# A run is Crashed after three missed heartbeats of the default 30 s (prefect_setup.py).
SILENCE_SECONDS = 90


@dataclass
class KillableStack:
    """A private Prefect server (no other runner serves its deployments) and a runner to kill."""

    settings: Settings
    supervisor: Supervisor
    publisher: LakePublisher

    def start_runner(self) -> None:
        runner = runner_service(self.settings)
        secrets = {
            "LAKEBOOK_S3_ACCESS_KEY_ID": self.settings.require_secret("s3_access_key_id"),
            "LAKEBOOK_S3_SECRET_ACCESS_KEY": self.settings.require_secret("s3_secret_access_key"),
        }
        env = {**runner.env, **settings_env(self.settings), **secrets}
        self.supervisor.start(replace(runner, env=env))

    def kill_runner(self) -> None:
        """SIGKILL to the runner's whole process group: the runner and the flow run it spawned."""
        kill_service(self.supervisor, "runner")


@pytest.fixture
def stack(s3_server: S3Server, tmp_path: Path) -> Iterator[KillableStack]:
    with private_prefect_stack(s3_server, tmp_path, lake_prefix=tmp_path.name) as stack:
        yield stack


@contextmanager
def private_prefect_stack(
    s3_server: S3Server, data_dir: Path, lake_prefix: str
) -> Iterator[KillableStack]:
    """A Prefect server of its own on `s3_server`'s lake (under `lake_prefix`), as the
    process's Prefect; the runner is started by the test (`start_runner`)."""
    settings = s3_server.settings_with(
        data_dir=data_dir,
        prefect_port=free_port(),
        runner_port=free_port(),
        lake_url=f"s3://{s3_server.settings.s3.bucket}/{lake_prefix}",
        transform_partition_rows=PARTITION_ROWS,
    )
    publisher = LakePublisher(LakeStore.from_settings(settings))
    supervisor = quiet_supervisor(data_dir / "stack.json")
    try:
        supervisor.start(prefect_service(settings))
        with temporary_settings({PREFECT_API_URL: settings.prefect.url}):
            yield KillableStack(settings, supervisor, publisher)
    finally:
        supervisor.stop_all()


def big_orders() -> pl.DataFrame:
    return pl.DataFrame({"order_id": range(ROWS)}).with_columns(
        customer_id=pl.col("order_id") % 1000,
        amount=(pl.col("order_id") * 7919 % 1000).cast(pl.Float64),
    )


def expected_output(orders: pl.DataFrame) -> pl.DataFrame:
    return orders.filter(pl.col("amount") < 500).with_columns(gross=pl.col("amount") * 2)


def launch(spec: dict[str, Any]) -> UUID:
    run = run_deployment(deployment_path("transform_dataset"), parameters={"spec": spec}, timeout=0)
    return run.id


def wait_for(client: SyncPrefectClient, run_id: UUID, done: Any, what: str) -> StateType:
    """Polls the run until `done(state type, run)` holds; fails after WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        run = client.read_flow_run(run_id)
        state = run.state.type if run.state else StateType.PENDING
        if done(state):
            return state
        time.sleep(0.2)
    pytest.fail(f"flow run {run_id} never got {what} within {WAIT_SECONDS:.0f} s")


def run_objects(publisher: LakePublisher, run_id: UUID) -> list[str]:
    prefix = publisher.paths.run_prefix(SPEC["output"], str(run_id))
    try:
        found = publisher.store.find(prefix)
    except LakeNotFoundError:
        return []
    return sorted(key.removeprefix(prefix + "/") for key in found)


def wait_for_parts(client: SyncPrefectClient, publisher: LakePublisher, run_id: UUID) -> None:
    """Until the run has written part files; fails if it finished first (input too small)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if any(key.startswith("_parts/") for key in run_objects(publisher, run_id)):
            return
        run = client.read_flow_run(run_id)
        assert run.state is not None
        assert not run.state.is_final(), (
            f"the run ended ({run.state.type.value}) before it could be killed: "
            "the input is too small for this machine"
        )
        time.sleep(0.1)
    pytest.fail(f"flow run {run_id} wrote no part file within {WAIT_SECONDS:.0f} s")


def assert_published_once(publisher: LakePublisher, run_id: UUID, orders: pl.DataFrame) -> None:
    published = publisher.scan(SPEC["output"], str(run_id)).collect()
    assert_frame_equal(published, expected_output(orders))
    # Nothing of any attempt stays beside the published run.
    assert run_objects(publisher, run_id) == ["_SUCCESS", "metadata.json", "output.parquet"]


# Three transform runs and two runner starts on a 2-core machine shared with other work.
@pytest.mark.timeout(1200)
def test_killed_runner_leaves_nothing_visible_and_reruns_publish_once(
    stack: KillableStack,
) -> None:
    orders = big_orders()
    publisher = stack.publisher
    publisher.publish(orders, dataset="big_orders", run_id="big-1", flow_name="test")
    stack.start_runner()

    with get_client(sync_client=True) as client:
        killed = launch(SPEC)
        wait_for(client, killed, lambda state: state == StateType.RUNNING, "RUNNING")
        wait_for_parts(client, publisher, killed)
        stack.kill_runner()

        # Readers see no new dataset; the killed attempt's parts sit in a prefix without
        # _SUCCESS, which listings, `lake` views and scans ignore.
        assert [d.name for d in publisher.list_datasets()] == ["big_orders"]
        assert publisher.list_runs(SPEC["output"]) == []
        with pytest.raises(LakeNotFoundError):
            publisher.scan(SPEC["output"])
        leftovers = run_objects(publisher, killed)
        assert leftovers
        assert all(key.startswith("_parts/") for key in leftovers)
        # Nobody tells Prefect at once that the process died: the run is still RUNNING.
        assert client.read_flow_run(killed).state.type == StateType.RUNNING  # type: ignore[union-attr]

        stack.start_runner()
        # A new run with the same parameters publishes once, under its own run id.
        fresh = launch(SPEC)
        state = wait_for(client, fresh, lambda state: state.value in FINAL, "to a final state")
        fresh_ended = time.monotonic()
        assert state == StateType.COMPLETED
        assert [run.run_id for run in publisher.list_runs(SPEC["output"])] == [str(fresh)]
        assert_published_once(publisher, fresh, orders)

        # Its heartbeats stopped with it: the automation `lakebook up` sets marks it Crashed.
        wait_for(client, killed, lambda state: state == StateType.CRASHED, "CRASHED")
        crashed = client.read_flow_run(killed).state
        assert crashed is not None
        assert crashed.message is not None
        assert "no heartbeat for 0:01:30" in crashed.message

        # Prefect's retry of the killed run (its UI's "Retry": back to Scheduled) reruns the same
        # run id: it clears the old parts, then publishes into its own prefix once.
        client.set_flow_run_state(killed, Scheduled(), force=True)
        state = wait_for(client, killed, lambda state: state.value in FINAL, "to a final state")
        assert state == StateType.COMPLETED
        runs = sorted(run.run_id for run in publisher.list_runs(SPEC["output"]))
        assert runs == sorted([str(fresh), str(killed)])
        assert_published_once(publisher, killed, orders)

        # A run that ended stopped its heartbeats too, on purpose: it keeps its final state.
        # Waits out the silence that crashes a live run: that nothing happens is the point.
        time.sleep(max(0.0, fresh_ended + SILENCE_SECONDS + 15 - time.monotonic()))
        assert client.read_flow_run(fresh).state.type == StateType.COMPLETED  # type: ignore[union-attr]


FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
