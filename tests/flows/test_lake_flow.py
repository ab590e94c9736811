"""Users' own flows: `@lake_flow` publishes what a function returns; the runner discovers flows
in a folder and in entry points. Runs use a real Prefect server and a local or S3 lake."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from prefect import Flow

from lakebook.flows.discovery import deployment_tags, discover_flows
from lakebook.flows.lake_flow import LakeFlowError, lake_flow
from lakebook.lake.publisher import LakePublisher
from tests.utils.flow_lake import task_tags
from tests.utils.services import USER_FLOWS_DIR

ORDERS = pl.DataFrame({"order_id": [1, 2, 3], "amount": [20.0, 75.0, 120.0]})


@pytest.fixture(scope="module")
def user_flows() -> dict[str, Flow[Any, Any]]:
    found = discover_flows(USER_FLOWS_DIR, with_entry_points=False)
    assert found.problems == []
    return {flow.name: flow for flow in found.flows}


@pytest.fixture
def lake(flow_lake: LakePublisher) -> LakePublisher:
    flow_lake.publish(ORDERS, dataset="orders", run_id="orders-1", flow_name="test")
    return flow_lake


def test_user_flows_are_served_beside_the_builtins(user_flows: dict[str, Flow[Any, Any]]) -> None:
    assert {"ping", "ingest_upload", "transform_dataset"} <= set(user_flows)
    assert {"big_orders", "order_count", "not_a_frame"} <= set(user_flows)
    assert deployment_tags(user_flows["big_orders"]) == ["heavy", "lake"]
    assert deployment_tags(user_flows["order_count"]) == ["lake"]


def test_lake_flows_keep_no_prefect_result_unless_told(
    user_flows: dict[str, Flow[Any, Any]],
) -> None:
    # Said, not left to Prefect (which asks the server for a default storage in every run):
    # a path is a storage Prefect resolves without the server.
    for served in user_flows.values():
        assert served.persist_result is False
        assert isinstance(served.result_storage, Path)

    def frame() -> pl.DataFrame:
        return ORDERS

    # Whatever a user says about results is theirs, as Prefect reads it.
    persisting = lake_flow(persist_result=True)(frame)
    assert (persisting.persist_result, persisting.result_storage) == (True, None)
    stored = lake_flow(result_storage="s3-bucket/results")(frame)
    assert (stored.persist_result, stored.result_storage) == (True, "s3-bucket/results")


def test_parameters_and_description_come_from_the_function(
    user_flows: dict[str, Flow[Any, Any]],
) -> None:
    big_orders = user_flows["big_orders"]
    schema = big_orders.parameters.model_dump()
    assert schema["properties"]["min_amount"]["type"] == "number"
    assert schema["properties"]["min_amount"]["default"] == 50.0
    assert big_orders.description == "Orders at or above an amount."


def test_a_lake_flow_publishes_its_frame_with_lineage(
    lake: LakePublisher, user_flows: dict[str, Flow[Any, Any]]
) -> None:
    metadata = user_flows["big_orders"](min_amount=70.0)

    assert_frame_equal(lake.scan("big_orders").collect(), ORDERS.filter(pl.col("amount") >= 70))
    assert metadata["flow_name"] == "big_orders"
    assert metadata["parameters"] == {"min_amount": 70.0}
    # The run read is pinned in the lineage, whichever run is latest later.
    assert metadata["inputs"] == ["processed/flows/orders/orders-1/output.parquet"]
    assert [run.run_id for run in lake.list_runs("big_orders")] == [metadata["run_id"]]
    # Polars runs the returned plan in the publish step, so that step holds the flow's tags:
    # a "heavy" flow waits for a slot of the limit `lakebook up` sets.
    assert task_tags(metadata["run_id"]) == {"publish-dataset": {"lake", "heavy"}}


def test_the_dataset_defaults_to_the_flow_name(
    lake: LakePublisher, user_flows: dict[str, Flow[Any, Any]]
) -> None:
    metadata = user_flows["order_count"](label="today")
    assert lake.scan("order_count").collect().to_dicts() == [{"orders": 3, "label": "today"}]
    assert task_tags(metadata["run_id"]) == {"publish-dataset": {"lake"}}


def test_returning_something_else_fails_clearly_and_publishes_nothing(
    lake: LakePublisher, user_flows: dict[str, Flow[Any, Any]]
) -> None:
    with pytest.raises(LakeFlowError, match="must return a Polars DataFrame or LazyFrame.*dict"):
        user_flows["not_a_frame"]()
    assert [dataset.name for dataset in lake.list_datasets()] == ["orders"]


def test_bad_definitions_are_refused_where_they_are_written() -> None:
    def orders() -> pl.DataFrame:
        return pl.DataFrame()

    with pytest.raises(ValueError, match="dataset name 'Big Orders' is not allowed"):
        lake_flow(dataset="Big Orders")(orders)
    with pytest.raises(ValueError, match="flow name 'my orders' is not allowed"):
        lake_flow(name="my orders")(orders)

    async def fetch() -> pl.DataFrame:
        return pl.DataFrame()

    with pytest.raises(LakeFlowError, match="async lake flows are not supported"):
        lake_flow(fetch)  # type: ignore[arg-type]


def test_broken_files_and_taken_names_are_reported_and_the_rest_served(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text(
        "from prefect import flow\n\n@flow(name='hello')\ndef hello() -> str:\n    return 'hi'\n"
    )
    (tmp_path / "broken.py").write_text("import not_a_module_anywhere\n")
    (tmp_path / "clash.py").write_text(
        "from prefect import flow\n\n@flow(name='ping')\ndef mine() -> None:\n    pass\n"
    )
    (tmp_path / "_helpers.py").write_text("raise RuntimeError('private modules are not read')\n")

    found = discover_flows(tmp_path, with_entry_points=False)

    assert "hello" in [flow.name for flow in found.flows]
    assert len(found.problems) == 2, found.problems
    broken, clash = sorted(found.problems)
    assert broken.endswith(
        "broken.py: cannot import it: ModuleNotFoundError: No module named 'not_a_module_anywhere'"
    )
    assert "clash.py: flow name 'ping' is already taken by lakebook (built-in)" in clash


def test_a_missing_flows_folder_is_reported(tmp_path: Path) -> None:
    found = discover_flows(tmp_path / "nope", with_entry_points=False)
    assert found.problems == [
        f"flows folder {tmp_path / 'nope'} does not exist (LAKEBOOK_FLOWS_DIR)"
    ]
    assert "ping" in [flow.name for flow in found.flows]
