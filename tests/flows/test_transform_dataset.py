"""transform_dataset as a real Prefect flow run, against a local lake and real SeaweedFS."""

from __future__ import annotations

import io
from typing import Any

import polars as pl
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal
from prefect.exceptions import ParameterTypeError

from lakebook.flows.transform import (
    Planning,
    output_text_bytes,
    transform_dataset,
)
from lakebook.lake import row_widths
from lakebook.lake.publisher import LakePublisher
from lakebook.lake.store import LakeNotFoundError
from lakebook.lake.transform_check import TransformError
from lakebook.lake.transform_spec import TransformSpec

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


def test_long_text_passed_through_gets_row_groups_of_the_inputs_recorded_width(
    lake: LakePublisher, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Groups of 100 kB instead of 128 MB, so a small file shows where the groups end. A lazy
    # result's strings guessed at 32 bytes would put all 600 rows in one group.
    monkeypatch.setattr(row_widths, "ROW_GROUP_BYTES", 100_000)
    monkeypatch.setattr(row_widths, "ROW_GROUP_ROWS_RANGE", (10, 2**20))
    notes = pl.DataFrame(
        {"id": range(600), "note": [str(row).rjust(976, "x") for row in range(600)]}
    )
    lake.publish(notes, dataset="notes", run_id="notes-1", flow_name="test")
    spec = {
        "inputs": [{"dataset": "notes"}, {"dataset": "customers"}],
        "steps": [
            {"step": "filter", "condition": {"op": ">=", "args": [{"col": "id"}, {"lit": 0}]}},
            {"step": "with_columns", "columns": [{"name": "label", "expr": {"lit": "n"}}]},
        ],
        "output": "kept_notes",
    }
    metadata = transform_dataset(TransformSpec.model_validate(spec))
    # The note's width comes from the input's metadata.json; "label" is new, so guessed.
    assert metadata["text_bytes"] == {"note": 976.0}
    key = lake.paths.run_data_key("kept_notes", metadata["run_id"])
    footer = pq.ParquetFile(io.BytesIO(lake.store.read_bytes(key))).metadata
    sizes = [footer.row_group(index).num_rows for index in range(footer.num_row_groups)]
    # 100,000 bytes over 976 + 16 (its view) of the note, 8 of id and 32 guessed for the label.
    assert sizes == [96] * 6 + [24]


def test_a_result_column_takes_the_width_of_the_first_input_that_recorded_it() -> None:
    schema = pl.Schema({"a": pl.String, "b": pl.String, "n": pl.Int64, "new": pl.String})
    recorded = [{"a": 1.0}, {"a": 5.0, "b": 2.0, "n": 9.0}]
    assert output_text_bytes(schema, recorded) == {"a": 1.0, "b": 2.0}


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
    planning = Planning(spec, "run-1")
    with pytest.raises(LakeNotFoundError, match="dataset 'refunds' has no published run"):
        planning.result()
    lake.publish(ORDERS, dataset="refunds", run_id="refunds-1", flow_name="test")
    planned = planning.result()
    assert planned.run_ids == {"orders": "orders-1", "refunds": "refunds-1"}
    # Once made, the plan is kept: a retry after a failed write reuses it.
    assert planning.result() is planned


def test_planning_prepares_the_output_run_beside_it_once(lake: LakePublisher) -> None:
    """A rerun of a run id (Prefect's retry) overwrites its prefix: its old _SUCCESS goes first,
    beside planning; the first publish attempt relies on that, a later one removes it again."""
    spec = TransformSpec.model_validate(spec_with(steps=[]))
    lake.publish(ORDERS, dataset=spec.output, run_id="run-1", flow_name="test")
    index = lake.paths.run_index_prefix("run-1")
    lake.store.remove_prefix(index)
    planning = Planning(spec, "run-1")
    assert planning.prepared_run() is True
    assert lake.list_runs(spec.output) == []
    assert list(lake.store.find(index)) == [lake.paths.run_index_key("run-1", spec.output)]
    assert planning.result().run_ids["orders"] == "orders-1"
    assert planning.prepared_run() is False
