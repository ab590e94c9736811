"""transform_dataset as a real Prefect flow run, against a local lake and real SeaweedFS."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from prefect.exceptions import ParameterTypeError

from lakebook.flows.lake_store import LakeNotFoundError
from lakebook.flows.publisher import LakePublisher
from lakebook.flows.transform import Planning, TransformError, transform_dataset
from lakebook.flows.transform_spec import TransformSpec

ORDERS = pl.DataFrame(
    {
        "order_id": [1, 2, 3, 4, 5, 6],
        "customer_id": [10, 20, 10, 30, 20, 10],
        "amount": [5.0, 7.5, 2.5, 100.0, 0.5, 4.0],
    }
)
CUSTOMERS = pl.DataFrame({"customer_id": [10, 20, 30], "country": ["fr", "de", "fr"]})

SALES_BY_COUNTRY: dict[str, Any] = {
    "inputs": [{"dataset": "orders"}, {"dataset": "customers"}],
    "steps": [
        {"step": "filter", "condition": {"op": "<", "args": [{"col": "amount"}, {"lit": 50}]}},
        {"step": "join", "right": "customers", "on": ["customer_id"], "how": "left"},
        {
            "step": "group_by",
            "by": ["country"],
            "aggs": [
                {"name": "total", "expr": {"agg": "sum", "col": "amount"}},
                {"name": "orders", "expr": {"agg": "count", "col": "order_id"}},
            ],
        },
        {
            "step": "with_columns",
            "columns": [
                {
                    "name": "average",
                    "expr": {"op": "/", "args": [{"col": "total"}, {"col": "orders"}]},
                }
            ],
        },
        {"step": "sort", "by": ["total"], "descending": True},
    ],
    "output": "sales_by_country",
}


@pytest.fixture
def lake(flow_lake: LakePublisher) -> LakePublisher:
    flow_lake.publish(ORDERS, dataset="orders", run_id="orders-1", flow_name="test")
    flow_lake.publish(CUSTOMERS, dataset="customers", run_id="customers-1", flow_name="test")
    return flow_lake


def spec_with(**changes: Any) -> dict[str, Any]:
    return {**SALES_BY_COUNTRY, **changes}


def test_join_and_group_by_over_two_datasets(lake: LakePublisher) -> None:
    metadata = transform_dataset(spec=SALES_BY_COUNTRY)

    expected = pl.DataFrame(
        {
            "country": ["fr", "de"],
            "total": [11.5, 8.0],
            "orders": [3, 2],
            "average": [11.5 / 3, 4.0],
        },
        schema_overrides={"orders": pl.UInt32},
    )
    assert_frame_equal(lake.scan("sales_by_country").collect(), expected)
    assert metadata["flow_name"] == "transform_dataset"
    # The latest runs were pinned when the run started: lineage names exact runs.
    assert metadata["inputs"] == [
        "processed/flows/orders/orders-1/output.parquet",
        "processed/flows/customers/customers-1/output.parquet",
    ]
    assert metadata["parameters"]["spec"]["output"] == "sales_by_country"


def test_an_input_can_be_pinned_to_an_older_run(lake: LakePublisher) -> None:
    lake.publish(ORDERS.head(2), dataset="orders", run_id="orders-2", flow_name="test")
    spec = spec_with(inputs=[{"dataset": "orders", "run_id": "orders-1"}], steps=[])
    transform_dataset(spec=spec | {"output": "orders_copy"})
    assert lake.scan("orders_copy").collect().height == ORDERS.height
    transform_dataset(spec=spec | {"inputs": [{"dataset": "orders"}], "output": "orders_latest"})
    assert lake.scan("orders_latest").collect().height == 2


def test_unknown_column_names_the_step_and_publishes_nothing(lake: LakePublisher) -> None:
    steps = [{"step": "filter", "condition": {"op": ">", "args": [{"col": "amout"}, {"lit": 1}]}}]
    with pytest.raises(
        TransformError,
        match=r'step 1 \(filter\) .*"amout".*columns before this step: order_id, customer_id',
    ):
        transform_dataset(spec=spec_with(steps=steps))
    assert [d.name for d in lake.list_datasets()] == ["customers", "orders"]


def test_type_mismatch_is_found_before_anything_is_read(lake: LakePublisher) -> None:
    steps = [
        {"step": "join", "right": "customers", "on": ["customer_id"]},
        {"step": "filter", "condition": {"op": ">", "args": [{"col": "country"}, {"lit": 3}]}},
    ]
    with pytest.raises(TransformError, match=r"step 2 \(filter\) .*compare string with numeric"):
        transform_dataset(spec=spec_with(steps=steps))
    assert [d.name for d in lake.list_datasets()] == ["customers", "orders"]


def test_missing_input_dataset_is_clear_and_publishes_nothing(lake: LakePublisher) -> None:
    inputs = [{"dataset": "orders"}, {"dataset": "customers"}, {"dataset": "refunds"}]
    with pytest.raises(LakeNotFoundError, match="dataset 'refunds' has no published run"):
        transform_dataset(spec=spec_with(inputs=inputs))
    with pytest.raises(LakeNotFoundError, match="run 'nope' of dataset 'orders' is not published"):
        transform_dataset(
            spec=spec_with(inputs=[{"dataset": "orders", "run_id": "nope"}], steps=[])
        )
    assert [d.name for d in lake.list_datasets()] == ["customers", "orders"]


def test_invalid_spec_is_refused_before_the_run_starts(lake: LakePublisher) -> None:
    steps = [{"step": "filter", "condition": {"python": "__import__('os').system('id')"}}]
    with pytest.raises(ParameterTypeError, match="one of the keys col, lit, op, agg"):
        transform_dataset(spec=spec_with(steps=steps))
    assert [d.name for d in lake.list_datasets()] == ["customers", "orders"]


def test_planning_beside_the_publish_step_plans_again_when_retried(lake: LakePublisher) -> None:
    """The publish step's retry of a failed plan (a storage hiccup) must not re-raise the first
    attempt's error: it plans again, against the lake as it is then."""
    spec = TransformSpec.model_validate(
        spec_with(inputs=[{"dataset": "orders"}, {"dataset": "refunds"}], steps=[])
    )
    planning = Planning(spec)
    with pytest.raises(LakeNotFoundError, match="dataset 'refunds' has no published run"):
        planning.result()
    lake.publish(ORDERS, dataset="refunds", run_id="refunds-1", flow_name="test")
    planned = planning.result()
    assert planned.run_ids == {"orders": "orders-1", "refunds": "refunds-1"}
    # Once made, the plan is kept: a retry after a failed write reuses it.
    assert planning.result() is planned
