"""The transform spec: validation and its Polars meaning, over in-memory frames."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from pydantic import ValidationError

from lakebook.common.settings import Settings
from lakebook.flows.partitions import rows_per_partition
from lakebook.lake.transform_check import TransformError, check_steps
from lakebook.lake.transform_spec import TransformSpec, apply_step

PEOPLE = pl.LazyFrame({"name": ["ana", "bo", "cy", None], "age": [31, 17, 45, 22]})


def spec(*steps: dict[str, Any], inputs: list[dict[str, Any]] | None = None) -> TransformSpec:
    return TransformSpec.model_validate(
        {"inputs": inputs or [{"dataset": "people"}], "steps": list(steps), "output": "out"}
    )


def run(transform: TransformSpec, **frames: pl.LazyFrame) -> pl.DataFrame:
    frames = frames or {"people": PEOPLE}
    result = frames[transform.inputs[0].name]
    for step in transform.steps:
        result = apply_step(result, step, frames)
    return result.collect()


def col(name: str) -> dict[str, str]:
    return {"col": name}


def op(name: str, *args: dict[str, Any]) -> dict[str, Any]:
    return {"op": name, "args": list(args)}


def test_filter_select_sort_limit() -> None:
    adults = op("and", op(">=", col("age"), {"lit": 18}), op("is_not_null", col("name")))
    result = run(
        spec(
            {"step": "filter", "condition": adults},
            {
                "step": "select",
                "columns": ["name", {"name": "next", "expr": op("+", col("age"), {"lit": 1})}],
            },
            {"step": "sort", "by": ["next"], "descending": True},
            {"step": "limit", "n": 1},
        )
    )
    assert_frame_equal(result, pl.DataFrame({"name": ["cy"], "next": [46]}))


def test_whole_frame_aggregates_and_self_join_with_an_alias() -> None:
    older = {"dataset": "people", "alias": "again"}
    result = run(
        spec(
            {"step": "join", "right": "again", "on": ["name"], "how": "semi"},
            {
                "step": "select",
                "columns": [{"name": "oldest", "expr": {"agg": "max", "col": "age"}}],
            },
            inputs=[{"dataset": "people"}, older],
        ),
        people=PEOPLE,
        again=PEOPLE.head(2),
    )
    assert_frame_equal(result, pl.DataFrame({"oldest": [31]}))


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"step": "filter", "condition": {"python": "__import__('os')"}}, "one of the keys"),
        ({"step": "filter", "condition": op("__class__", col("a"))}, "Input should be '\\+'"),
        ({"step": "filter", "condition": op("not", col("a"), col("b"))}, "takes 1 argument"),
        ({"step": "filter", "condition": {"col": "a", "extra": 1}}, "Extra inputs"),
        ({"step": "explode", "columns": ["a"]}, "does not match any of the expected tags"),
        ({"step": "join", "right": "other", "on": ["a"]}, "refers to input 'other'"),
        (
            {
                "step": "group_by",
                "by": ["a"],
                "aggs": [{"name": "x", "expr": {"agg": "eval", "col": "a"}}],
            },
            "'sum'",
        ),
        ({"step": "limit", "n": -1}, "greater than or equal to 0"),
    ],
)
def test_bad_specs_are_refused_with_the_reason(bad: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        spec(bad)


def test_names_are_checked_like_lake_names() -> None:
    with pytest.raises(ValidationError, match="dataset name '../x' is not allowed"):
        spec(inputs=[{"dataset": "../x"}])
    with pytest.raises(ValidationError, match="run id '../r' is not allowed"):
        spec(inputs=[{"dataset": "people", "run_id": "../r"}])
    with pytest.raises(ValidationError, match=r"inputs \['people'\] appear twice"):
        spec(inputs=[{"dataset": "people"}, {"dataset": "people"}])


def test_check_steps_names_the_failing_step_without_data() -> None:
    schemas = {"people": PEOPLE.collect_schema()}
    ok = spec(
        {
            "step": "with_columns",
            "columns": [{"name": "double", "expr": op("*", col("age"), {"lit": 2})}],
        }
    )
    assert check_steps(ok, schemas).names() == ["name", "age", "double"]
    bad = spec(
        {"step": "sort", "by": ["age"]},
        {
            "step": "group_by",
            "by": ["age"],
            "aggs": [{"name": "s", "expr": {"agg": "sum", "col": "name"}}],
        },
    )
    with pytest.raises(
        TransformError, match=r"step 2 \(group_by\) .*`sum`.*columns before this step: name, age"
    ):
        check_steps(bad, schemas)


def test_transforms_are_partitioned_on_dask_or_when_a_size_is_set() -> None:
    assert rows_per_partition(Settings(task_runner="threads")) is None
    assert rows_per_partition(Settings(task_runner="dask")) == 2**20
    assert rows_per_partition(Settings(task_runner="threads", transform_partition_rows=10)) == 10


def negated(times: int) -> dict[str, Any]:
    """`not not … age`: an expression nested `times` operations deep."""
    expression: dict[str, Any] = col("age")
    for _ in range(times):
        expression = op("not", expression)
    return expression


def test_nesting_is_bounded_before_the_fields_are_validated() -> None:
    # 30 operations (60 levels, with the spec's own 4) still fit; 200 do not.
    assert len(spec({"step": "filter", "condition": negated(30)}).steps) == 1
    with pytest.raises(ValidationError, match="spec is nested more than 64 levels deep") as error:
        spec({"step": "filter", "condition": negated(200)})
    assert "at spec.steps.0.condition.args.0.args" in str(error.value)
