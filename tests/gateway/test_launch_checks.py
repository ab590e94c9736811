"""A launch the flow would refuse from its parameters alone is refused by the gateway before the
run exists (422 naming the field), as `lakebook schedule` refuses the same mistakes: dataset
names, a notebook's parameters, a transform's inputs. Real gateway, Prefect, runner and lake."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import nbformat
import polars as pl
import pytest

from lakebook.common.deployments import OWNER_TAG_PREFIX
from lakebook.lake.publisher import LakePublisher
from lakebook.lake.store import LakeStore
from tests.utils.prefect_http import prefect_request
from tests.utils.services import FlowStack

DATASET_RULE = "is not allowed: use lower-case letters, digits and '_'"


@dataclass(frozen=True)
class Analyst:
    name: str
    headers: dict[str, str]


@pytest.fixture
def analyst(flow_stack: FlowStack) -> Iterator[Analyst]:
    """A new analyst; afterwards, neither the gateway nor Prefect has a run of theirs."""
    name, password = flow_stack.gateway.add_user("analyst")
    token = httpx.post(
        flow_stack.gateway.api("/auth/token"), data={"username": name, "password": password}
    ).json()["access_token"]
    caller = Analyst(name, {"Authorization": f"Bearer {token}"})
    yield caller
    listed = httpx.get(flow_stack.gateway.api("/flows/runs"), headers=caller.headers, timeout=30)
    assert listed.json() == [], "the gateway recorded a run"
    found = prefect_request(
        "POST",
        f"{flow_stack.prefect_api_url}/flow_runs/filter",
        json={"flow_runs": {"tags": {"all_": [f"{OWNER_TAG_PREFIX}{name}"]}}},
    )
    assert found.status_code == 200, found.text
    assert found.json() == [], "Prefect has a run of the refused launch"


def refused(stack: FlowStack, caller: Analyst, flow: str, **parameters: Any) -> list[Any]:
    """The (field, message) pairs of a launch the gateway answered 422."""
    response = httpx.post(
        stack.gateway.api(f"/flows/{flow}/execute"),
        json={"parameters": parameters},
        headers=caller.headers,
        timeout=30,
    )
    assert response.status_code == 422, response.text
    return [
        (".".join(str(part) for part in error["loc"][1:]), error["msg"])
        for error in response.json()["detail"]
    ]


def publish_sales(stack: FlowStack, dataset: str) -> LakePublisher:
    """A dataset of two columns, region and amount, published as run `{dataset}-r1`."""
    publisher = LakePublisher(LakeStore.from_settings(stack.gateway.settings))
    frame = pl.DataFrame({"region": ["north"], "amount": [1.0]})
    publisher.publish(frame, dataset=dataset, run_id=f"{dataset}-r1", flow_name="test")
    return publisher


def test_a_bad_dataset_name_is_refused_naming_the_field(
    flow_stack: FlowStack, analyst: Analyst
) -> None:
    key = f"raw/uploads/{analyst.name}/{'0' * 32}/data.csv"
    [(field, message)] = refused(
        flow_stack, analyst, "ingest_upload", upload_key=key, dataset="Sales 2026"
    )
    assert field == "parameters.dataset"
    assert message.startswith(f"dataset name 'Sales 2026' {DATASET_RULE}")


def test_an_upload_that_is_not_there_is_refused(flow_stack: FlowStack, analyst: Analyst) -> None:
    key = f"raw/uploads/{analyst.name}/{'0' * 32}/data.csv"
    assert refused(flow_stack, analyst, "ingest_upload", upload_key=key, dataset="sales") == [
        (
            "parameters.upload_key",
            f"there is no upload '{key}' (POST /api/v1/lake/uploads makes one)",
        )
    ]


@pytest.fixture
def report_notebook(flow_stack: FlowStack) -> str:
    """A workspace notebook whose parameters cell takes `rows: int` and `region`."""
    workspace = flow_stack.gateway.settings.flows.notebook_dir
    assert workspace is not None
    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cell = nbformat.v4.new_code_cell('rows = 10  # how many\nregion = "north"')
    cell.metadata["tags"] = ["parameters"]
    document = nbformat.v4.new_notebook(cells=[cell], metadata={"kernelspec": kernelspec})
    nbformat.write(document, workspace / "checked_report.ipynb")
    return "checked_report.ipynb"


def test_a_wrong_notebook_parameter_type_is_refused(
    flow_stack: FlowStack, analyst: Analyst, report_notebook: str
) -> None:
    errors = refused(
        flow_stack, analyst, "run_notebook", notebook=report_notebook, parameters={"rows": "ten"}
    )
    assert errors == [
        (
            "parameters.parameters.rows",
            "parameter 'rows' must be int (default 10), got str 'ten'",
        )
    ]


def test_an_unknown_notebook_parameter_is_refused(
    flow_stack: FlowStack, analyst: Analyst, report_notebook: str
) -> None:
    parameters = {"rows": 5, "colour": "red"}
    errors = refused(
        flow_stack, analyst, "run_notebook", notebook=report_notebook, parameters=parameters
    )
    assert errors == [
        (
            "parameters.parameters.colour",
            "unknown parameter 'colour' (the notebook's parameters: region, rows)",
        )
    ]


def test_a_missing_notebook_is_refused(flow_stack: FlowStack, analyst: Analyst) -> None:
    [(field, message)] = refused(flow_stack, analyst, "run_notebook", notebook="nowhere.ipynb")
    assert field == "parameters.notebook"
    assert "there is no notebook 'nowhere.ipynb' in the workspace folder" in message


def test_a_transform_of_a_dataset_that_is_not_there_is_refused(
    flow_stack: FlowStack, analyst: Analyst
) -> None:
    publish_sales(flow_stack, "checked_sales")
    spec = {
        "inputs": [
            {"dataset": "checked_sales"},
            {"dataset": "never_published"},
            {"dataset": "checked_sales", "run_id": "no-such-run", "alias": "pinned"},
        ],
        "output": "checked_totals",
    }
    assert refused(flow_stack, analyst, "transform_dataset", spec=spec) == [
        (
            "parameters.spec.inputs.1.dataset",
            "there is no published dataset 'never_published' (GET /api/v1/lake/datasets)",
        ),
        (
            "parameters.spec.inputs.2.run_id",
            "run 'no-such-run' of dataset 'checked_sales' is not published",
        ),
    ]
    bad_names = {"inputs": [{"dataset": "Sales"}], "output": "totals-2026"}
    errors = refused(flow_stack, analyst, "transform_dataset", spec=bad_names)
    assert [field for field, _ in errors] == [
        "parameters.spec.inputs.0.dataset",
        "parameters.spec.output",
    ]
    assert all(DATASET_RULE in message for _, message in errors)


def test_a_transform_whose_steps_do_not_fit_its_inputs_is_refused(
    flow_stack: FlowStack, analyst: Analyst
) -> None:
    """Column names and types are checked against the inputs' schemas before the run exists,
    by the flow's own check over empty frames; a join to an input the spec lacks, by the spec's."""
    publish_sales(flow_stack, "fitted_sales")
    filter_amount = {"op": ">", "args": [{"col": "amount"}, {"lit": 0}]}
    misspelt = {
        "inputs": [{"dataset": "fitted_sales"}],
        "steps": [
            {"step": "filter", "condition": filter_amount},
            {
                "step": "group_by",
                "by": ["regoin"],
                "aggs": [{"name": "total", "expr": {"agg": "sum", "col": "amount"}}],
            },
        ],
        "output": "fitted_totals",
    }
    ((field, message),) = refused(flow_stack, analyst, "transform_dataset", spec=misspelt)
    assert field == "parameters.spec.steps.1"
    assert message.startswith("step 2 (group_by) does not fit its input: ")
    assert "regoin" in message
    assert message.endswith("columns before this step: region, amount")

    text_compared = {
        "inputs": [{"dataset": "fitted_sales", "run_id": "fitted_sales-r1"}],
        "steps": [
            {"step": "filter", "condition": {"op": ">", "args": [{"col": "region"}, {"lit": 1}]}}
        ],
        "output": "fitted_totals",
    }
    ((field, message),) = refused(flow_stack, analyst, "transform_dataset", spec=text_compared)
    assert field == "parameters.spec.steps.0"
    assert message.startswith("step 1 (filter) does not fit its input: ")

    unknown_join = {
        "inputs": [{"dataset": "fitted_sales"}],
        "steps": [{"step": "join", "right": "regions", "on": ["region"]}],
        "output": "fitted_totals",
    }
    ((field, message),) = refused(flow_stack, analyst, "transform_dataset", spec=unknown_join)
    assert field == "parameters.spec"
    assert "step 1 (join) refers to input 'regions'; inputs are ['fitted_sales']" in message


def test_a_transform_whose_input_cannot_be_read_is_the_lakes_fault(
    flow_stack: FlowStack, analyst: Analyst
) -> None:
    """A published run whose data file is gone (a lake broken under the gateway) is answered
    503 naming the dataset, not 500 and not the caller's mistake; nothing is launched."""
    publisher = publish_sales(flow_stack, "broken_sales")
    publisher.store.remove(publisher.paths.run_data_key("broken_sales", "broken_sales-r1"))
    response = httpx.post(
        flow_stack.gateway.api("/flows/transform_dataset/execute"),
        json={"parameters": {"spec": {"inputs": [{"dataset": "broken_sales"}], "output": "out"}}},
        headers=analyst.headers,
        timeout=30,
    )
    assert response.status_code == 503, response.text
    assert "cannot read the schema of dataset 'broken_sales'" in response.json()["detail"]


def test_a_spec_nested_too_deeply_is_refused_naming_the_field(
    flow_stack: FlowStack, analyst: Analyst
) -> None:
    # 200 nested operations answered 500 (RecursionError in the parameter schema's check).
    condition: dict[str, Any] = {"col": "amount"}
    for _ in range(200):
        condition = {"op": "not", "args": [condition]}
    spec = {
        "inputs": [{"dataset": "sales"}],
        "steps": [{"step": "filter", "condition": condition}],
        "output": "deep",
    }
    [(field, message)] = refused(flow_stack, analyst, "transform_dataset", spec=spec)
    assert field.startswith("parameters.spec.steps.0.condition.args.0.args.0")
    assert message.startswith("spec is nested more than 64 levels deep (at spec.steps.0.")
    assert "split a long condition into several filter steps" in message
