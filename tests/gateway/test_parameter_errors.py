"""A refused launch names the field that is wrong and what it may be, even deep in a union
(a transform step, an expression), checked against the schema Prefect derives for the flow."""

from __future__ import annotations

from typing import Any

import pytest
from prefect.utilities.callables import parameter_schema

from lakebook.flows.transform import transform_dataset
from lakebook.gateway.core.parameters import parameter_errors


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return parameter_schema(transform_dataset.fn).model_dump_for_openapi()


def errors_of(schema: dict[str, Any], *steps: dict[str, Any]) -> list[tuple[str, str]]:
    spec = {"inputs": [{"dataset": "sales"}], "output": "totals", "steps": list(steps)}
    return [
        (".".join(str(part) for part in error["loc"][2:]), error["msg"])
        for error in parameter_errors(schema, {"spec": spec})
    ]


def test_an_unknown_aggregate_is_named_at_its_field_with_the_valid_ones(
    schema: dict[str, Any],
) -> None:
    total = {"name": "t", "expr": {"agg": "total", "col": "amount"}}
    step = {"step": "group_by", "by": ["region"], "aggs": [total]}
    [(field, message)] = errors_of(schema, step)
    assert field == "spec.steps.0.aggs.0.expr.agg"
    assert message.startswith("'total' is not one of ['sum', 'mean'")
    assert "n_unique" in message


def test_an_unknown_step_lists_the_steps(schema: dict[str, Any]) -> None:
    [(field, message)] = errors_of(schema, {"step": "pivot"})
    assert field == "spec.steps.0"
    assert message == (
        "step 'pivot' is not one of "
        "['select', 'filter', 'with_columns', 'group_by', 'join', 'sort', 'limit']"
    )


def test_a_bad_value_in_a_known_step_is_at_its_field(schema: dict[str, Any]) -> None:
    assert errors_of(schema, {"step": "limit", "n": -1}) == [
        ("spec.steps.0.n", "-1 is less than the minimum of 0")
    ]


def test_good_steps_have_no_errors(schema: dict[str, Any]) -> None:
    assert errors_of(schema, {"step": "limit", "n": 3}, {"step": "sort", "by": ["amount"]}) == []


def test_a_known_step_missing_a_field_names_that_field_not_the_other_steps(
    schema: dict[str, Any],
) -> None:
    # It said "step 'filter' is not one of ['select', 'with_columns', …]": the other steps' tags.
    assert errors_of(schema, {"step": "filter"}) == [
        ("spec.steps.0", "'condition' is a required property")
    ]
    assert errors_of(schema, {"step": "join", "on": ["id"]}) == [
        ("spec.steps.0", "'right' is a required property")
    ]


def test_a_step_without_its_kind_lists_the_kinds(schema: dict[str, Any]) -> None:
    assert errors_of(schema, {"n": 3}) == [
        (
            "spec.steps.0",
            "step is missing: one of "
            "['select', 'filter', 'with_columns', 'group_by', 'join', 'sort', 'limit']",
        )
    ]
