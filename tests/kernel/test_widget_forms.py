"""The widget forms over nested schemas (transform_dataset's spec, as the gateway serves it), the
launcher's first state, and the sidebar's wording of schema errors."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import polars as pl
import pytest

from lakebook.kernel import LakebookClient
from lakebook.kernel.widgets import FlowLauncher, ParameterForm, ResultTable
from lakebook.kernel.widgets.fields import JsonField, ScalarField
from lakebook.kernel.widgets.nested import ArrayField, ObjectField, UnionField
from lakebook.kernel.widgets.schema import schema_errors
from lakebook.lake.publisher import LakePublisher


@pytest.fixture
def transform_schema(analyst: LakebookClient) -> dict[str, Any]:
    """transform_dataset's parameters schema from GET /api/v1/flows/deployments."""
    (deployment,) = [flow for flow in analyst.flows() if flow.name == "transform_dataset"]
    return deployment.parameters_schema


def _pick(union: Any, label: str) -> Any:
    assert isinstance(union, UnionField)
    (index,) = [value for name, value in union.picker.options if name == label]
    union.picker.value = index
    return union.variant


def test_spec_gets_nested_fields(transform_schema: dict[str, Any]) -> None:
    form = ParameterForm(transform_schema)
    spec = form.fields["spec"]
    assert isinstance(spec, ObjectField)
    assert list(spec.fields) == ["inputs", "steps", "output"]
    inputs, steps = spec.fields["inputs"], spec.fields["steps"]
    assert isinstance(inputs, ArrayField)
    assert isinstance(steps, ArrayField)
    source = inputs.add()
    assert isinstance(source, ObjectField)
    # Required marks, and descriptions shown as help under the field.
    assert source.fields["dataset"].label == "Dataset *"
    assert source.fields["alias"].label == "Alias"
    assert "Name joins use" in source.fields["alias"].help.value
    assert "Inputs (datasets" in spec.help.value

    step = steps.add()
    assert isinstance(step, UnionField)
    assert [name for name, _ in step.picker.options] == [
        "Select", "Filter", "WithColumns", "GroupBy", "Join", "Sort", "Limit",
    ]  # fmt: skip
    join = _pick(step, "Join")
    how = join.fields["how"]
    assert isinstance(how.input, widgets.Dropdown)  # an enum is a dropdown
    assert how.input.value == "inner"
    assert "inner" in how.input.options
    assert "anti" in how.input.options
    # No field of the spec falls back to raw JSON.
    assert not [field for field in form._all_fields() if isinstance(field, JsonField)]

    source.fields["dataset"].input.value = "sales"
    join.fields["right"].input.value = "sales"
    join.fields["on"].add().input.value = "region"
    spec.fields["output"].input.value = "joined"
    assert form.values() == {
        "spec": {
            "inputs": [{"dataset": "sales"}],
            "steps": [
                {
                    "step": "join",
                    "right": "sales",
                    "on": ["region"],
                    "how": "inner",
                    "suffix": "_right",
                }
            ],
            "output": "joined",
        }
    }
    # Removing an item: the list shrinks, the later items keep their entries.
    inputs.add().fields["dataset"].input.value = "orders"
    inputs.remove(0)
    (kept,) = inputs.items
    assert kept.path == ("spec", "inputs", 0)
    assert kept.fields["dataset"].input.value == "orders"


def test_nested_errors_name_and_mark_their_fields(transform_schema: dict[str, Any]) -> None:
    form = ParameterForm(transform_schema)
    spec = form.fields["spec"]
    assert form.values() is None
    assert form.problems == [
        "spec.inputs: must NOT have fewer than 1 items",
        "spec.output: must have required property 'Output'",
    ]
    assert "spec.inputs: must NOT have fewer than 1 items" in spec.fields["inputs"].error.value
    assert "spec.output: must have required property" in spec.fields["output"].error.value

    spec.fields["inputs"].add().fields["dataset"].input.value = "sales"
    spec.fields["output"].input.value = "out"
    limit = _pick(spec.fields["steps"].add(), "Limit")
    limit.fields["n"].input.value = "-1"
    condition = _pick(spec.fields["steps"].add(), "Filter").fields["condition"]
    operation = _pick(condition, "Operation")
    operation.fields["op"].input.value = ">"
    _pick(operation.fields["args"].add(), "ColumnRef")
    assert form.values() is None
    assert form.problems == [
        "spec.steps.0.n: must be >= 0",
        "spec.steps.1.condition.args.0.col: must have required property 'Col'",
    ]
    assert "spec.steps.0.n: must be &gt;= 0" in limit.fields["n"].error.value
    column = operation.fields["args"].items[0].variant.fields["col"]
    assert "spec.steps.1.condition.args.0.col" in column.error.value
    # Fixed: the earlier marks go.
    limit.fields["n"].input.value = "5"
    column.input.value = "amount"
    literal = _pick(operation.fields["args"].add(), "LiteralValue").fields["lit"]
    _pick(literal, "integer").input.value = "3"
    assert form.values() is not None, form.problems
    assert limit.fields["n"].error.value == ""
    assert form.values()["spec"]["steps"][1] == {  # type: ignore[index]
        "step": "filter",
        "condition": {"op": ">", "args": [{"col": "amount"}, {"lit": 3}]},
    }


def test_gateway_errors_land_on_nested_fields(transform_schema: dict[str, Any]) -> None:
    form = ParameterForm(transform_schema)
    spec = form.fields["spec"]
    source = spec.fields["inputs"].add()
    form.show_errors({"spec.inputs.0.dataset": "not a dataset name", "elsewhere": "odd"})
    assert "spec.inputs.0.dataset: not a dataset name" in source.fields["dataset"].error.value
    assert "elsewhere: odd" in form.error.value  # no such field: shown above the fields


def test_messages_follow_ajv(transform_schema: dict[str, Any]) -> None:
    """The keywords' wording as ajv (the sidebar's validator) has it, on rjsf's paths."""
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "pattern": "^[a-z]+$", "maxLength": 3},
            "n": {"type": "integer", "exclusiveMinimum": 0, "multipleOf": 2},
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 1},
            "mode": {"enum": ["a", "b"]},
        },
        "required": ["name"],
        "additionalProperties": False,
    }
    found = schema_errors(schema, {"name": "AB12", "n": 0, "tags": ["x", 1], "mode": "c"})
    assert sorted(found) == sorted(
        [
            (("name",), 'must match pattern "^[a-z]+$"'),
            (("name",), "must NOT have more than 3 characters"),
            (("n",), "must be > 0"),
            (("tags",), "must NOT have more than 1 items"),
            (("tags", 1), "must be string"),
            (("mode",), "must be equal to one of the allowed values"),
        ]
    )
    assert sorted(schema_errors(schema, {"extra": 1})) == [
        ((), "must NOT have additional properties"),
        (("name",), "must have required property 'name'"),
    ]


def test_free_form_values_fall_back_to_named_json() -> None:
    schema = {
        "type": "object",
        "properties": {
            "options": {"type": "object", "position": 0},
            "anything": {"position": 1},
            "pair": {"type": "array", "prefixItems": [{"type": "string"}], "position": 2},
        },
    }
    form = ParameterForm(schema)
    assert all(isinstance(field, JsonField) for field in form.fields.values())
    form.fields["options"].input.value = '{"a": '
    assert form.values() is None
    assert form.problems[0].startswith("options: must be valid JSON (")
    assert "options: must be valid JSON" in form.fields["options"].error.value


def test_launcher_starts_with_a_flow_picked(analyst: LakebookClient) -> None:
    launcher = FlowLauncher(analyst, monitor_runs=False)
    try:
        assert launcher.flow_picker.value == launcher.flow_picker.options[0]
        shown = launcher.deployments[launcher.flow_picker.value].parameters_schema
        assert list(launcher.form.fields) == list(ParameterForm(shown).fields)
        assert not launcher.launch_button.disabled
        launcher.refresh()  # a refresh keeps the flow picked
        launcher.flow_picker.value = "transform_dataset"
        launcher.refresh()
        assert launcher.flow_picker.value == "transform_dataset"
        # An empty spec: what the status lists is marked on the fields it names.
        launcher.launch_button.click()
        assert launcher.last_run is None
        spec = launcher.form.fields["spec"]
        assert "invalid parameters (spec.inputs: must NOT have fewer than 1 items; " in (
            launcher.status.value
        )
        assert "spec.inputs: must NOT" in spec.fields["inputs"].error.value
        assert "spec.output: must have required property" in spec.fields["output"].error.value
    finally:
        launcher.close()


def test_launcher_runs_a_spec_built_in_fields(
    analyst: LakebookClient, stack_lake: LakePublisher
) -> None:
    stack_lake.publish(
        pl.DataFrame({"region": ["west", "east"], "amount": [1.0, 5.0]}),
        dataset="widget_sales",
        run_id="widget-r1",
        flow_name="x",
    )
    launcher = FlowLauncher(analyst, monitor_runs=False)
    try:
        launcher.flow_picker.value = "transform_dataset"
        spec = launcher.form.fields["spec"]
        spec.fields["inputs"].add().fields["dataset"].input.value = "widget_sales"
        condition = _pick(spec.fields["steps"].add(), "Filter").fields["condition"]
        operation = _pick(condition, "Operation")
        operation.fields["op"].input.value = ">"
        _pick(operation.fields["args"].add(), "ColumnRef").fields["col"].input.value = "amount"
        literal = _pick(operation.fields["args"].add(), "LiteralValue").fields["lit"]
        number = _pick(literal, "number")
        assert isinstance(number, ScalarField)
        number.input.value = "2"
        spec.fields["output"].input.value = "widget_big"
        launcher.launch_button.click()
        run = launcher.last_run
        assert run is not None, launcher.status.value
        assert run.wait(timeout=120) == "COMPLETED"
        assert run.result().collect()["region"].to_list() == ["east"]
    finally:
        launcher.close()


def test_rows_picker_is_sized_to_its_content() -> None:
    picker = ResultTable(pl.DataFrame({"n": range(3)})).page_size_picker
    # The label takes its own width, not a share of a fixed width the numbers are clipped by.
    assert picker.style.description_width == "initial"
    assert picker.layout.width == "max-content"
