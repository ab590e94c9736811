"""The transform_dataset spec: a JSON pipeline over datasets, with expressions as data, not code.

Expressions are JSON objects: `{"col": "amount"}`, `{"lit": 3}`,
`{"op": ">", "args": [{"col": "amount"}, {"lit": 3}]}`, `{"agg": "sum", "col": "amount"}`.
Nothing in a spec is evaluated as Python: each form maps to one fixed Polars call.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal

import polars as pl
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from lakebook.common.json_depth import too_deep_at, too_deep_message
from lakebook.common.lake import DatasetName, check_identifier

ColumnName = Annotated[str, Field(min_length=1, max_length=255)]

_BINARY_OPS: dict[str, Callable[[pl.Expr, pl.Expr], pl.Expr]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "%": operator.mod,
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "and": operator.and_,
    "or": operator.or_,
}
_UNARY_OPS: dict[str, Callable[[pl.Expr], pl.Expr]] = {
    "not": operator.invert,
    "is_null": pl.Expr.is_null,
    "is_not_null": pl.Expr.is_not_null,
}
_AGGREGATIONS: dict[str, Callable[[pl.Expr], pl.Expr]] = {
    "sum": pl.Expr.sum,
    "mean": pl.Expr.mean,
    "median": pl.Expr.median,
    "min": pl.Expr.min,
    "max": pl.Expr.max,
    "count": pl.Expr.count,
    "n_unique": pl.Expr.n_unique,
    "first": pl.Expr.first,
    "last": pl.Expr.last,
}
Operator = Literal[
    "+", "-", "*", "/", "%", "==", "!=", ">", ">=", "<", "<=", "and", "or", "not", "is_null",
    "is_not_null",
]  # fmt: skip
Aggregation = Literal["sum", "mean", "median", "min", "max", "count", "n_unique", "first", "last"]


class _Strict(BaseModel):
    """Unknown keys are mistakes (a typo would otherwise be silently ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnRef(_Strict):
    col: ColumnName

    def to_polars(self) -> pl.Expr:
        return pl.col(self.col)


class LiteralValue(_Strict):
    lit: str | int | float | bool | None

    def to_polars(self) -> pl.Expr:
        return pl.lit(self.lit)


class Operation(_Strict):
    op: Operator
    args: list[Expression] = Field(min_length=1, max_length=2)

    @model_validator(mode="after")
    def _check_arity(self) -> Operation:
        expected = 1 if self.op in _UNARY_OPS else 2
        if len(self.args) != expected:
            raise ValueError(f"operator {self.op!r} takes {expected} argument(s)")
        return self

    def to_polars(self) -> pl.Expr:
        args = [arg.to_polars() for arg in self.args]
        if self.op in _UNARY_OPS:
            return _UNARY_OPS[self.op](args[0])
        return _BINARY_OPS[self.op](args[0], args[1])


class AggregationOf(_Strict):
    """An aggregate of one column: per group in group_by, over the whole frame elsewhere."""

    agg: Aggregation
    col: ColumnName

    def to_polars(self) -> pl.Expr:
        return _AGGREGATIONS[self.agg](pl.col(self.col))


def _expression_kind(value: Any) -> str | None:
    """Which form a JSON expression is, by its one distinguishing key."""
    if isinstance(value, BaseModel):
        value = value.model_dump()
    if not isinstance(value, dict):
        return None
    # "agg" first: an aggregation also names its column with "col".
    return next((kind for kind in ("agg", "op", "lit", "col") if kind in value), None)


Expression = Annotated[
    Annotated[AggregationOf, Tag("agg")]
    | Annotated[ColumnRef, Tag("col")]
    | Annotated[LiteralValue, Tag("lit")]
    | Annotated[Operation, Tag("op")],
    Discriminator(
        _expression_kind,
        custom_error_type="invalid_expression",
        custom_error_message="an expression is an object with one of the keys col, lit, op, agg",
    ),
]


# Operation nests expressions, so it can only be completed once Expression exists.
Operation.model_rebuild()


class NamedExpression(_Strict):
    name: ColumnName
    expr: Expression

    def to_polars(self) -> pl.Expr:
        return self.expr.to_polars().alias(self.name)


class Select(_Strict):
    step: Literal["select"]
    columns: list[ColumnName | NamedExpression] = Field(min_length=1)


class Filter(_Strict):
    step: Literal["filter"]
    condition: Expression


class WithColumns(_Strict):
    step: Literal["with_columns"]
    columns: list[NamedExpression] = Field(min_length=1)


class GroupBy(_Strict):
    step: Literal["group_by"]
    # Not "keys": Prefect reads models like mappings, and a `keys` field would shadow .keys().
    by: list[ColumnName] = Field(min_length=1)
    aggs: list[NamedExpression] = Field(min_length=1)


class Join(_Strict):
    step: Literal["join"]
    right: str = Field(description="Name of another input to join with.")
    on: list[ColumnName] = Field(min_length=1)
    how: Literal["inner", "left", "full", "semi", "anti"] = "inner"
    suffix: str = "_right"


class Sort(_Strict):
    step: Literal["sort"]
    by: list[ColumnName] = Field(min_length=1)
    descending: bool = False


class Limit(_Strict):
    step: Literal["limit"]
    n: int = Field(ge=0)


Step = Annotated[
    Select | Filter | WithColumns | GroupBy | Join | Sort | Limit, Field(discriminator="step")
]


class InputDataset(_Strict):
    """A published dataset, at its latest run unless `run_id` pins one."""

    dataset: DatasetName
    run_id: str | None = None
    alias: str | None = Field(None, description="Name joins use; defaults to the dataset name.")

    @field_validator("run_id")
    @classmethod
    def _run_id(cls, value: str | None) -> str | None:
        return None if value is None else check_identifier("run id", value)

    @property
    def name(self) -> str:
        return self.alias or self.dataset


class TransformSpec(_Strict):
    """Inputs, the steps applied to the first input, and the dataset to publish the result as."""

    inputs: list[InputDataset] = Field(min_length=1)
    steps: list[Step] = Field(default_factory=list)
    output: DatasetName

    @model_validator(mode="before")
    @classmethod
    def _check_depth(cls, data: Any) -> Any:
        # Before the fields are validated: validating (and planning) nested expressions recurses.
        path = too_deep_at(data) if isinstance(data, dict) else None
        if path is not None:
            raise ValueError(too_deep_message("spec", path))
        return data

    @model_validator(mode="after")
    def _check_references(self) -> TransformSpec:
        names = [source.name for source in self.inputs]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"inputs {duplicates} appear twice; give one of them an alias")
        for position, step in enumerate(self.steps, start=1):
            if isinstance(step, Join) and step.right not in names:
                raise ValueError(
                    f"step {position} (join) refers to input {step.right!r}; inputs are {names}"
                )
        return self


def apply_steps(
    frame: pl.LazyFrame, steps: Sequence[Step], others: dict[str, pl.LazyFrame]
) -> pl.LazyFrame:
    """The frame after the steps in order; `others` are the inputs a join may use, by name."""
    for step in steps:
        frame = apply_step(frame, step, others)
    return frame


def apply_step(frame: pl.LazyFrame, step: Step, others: dict[str, pl.LazyFrame]) -> pl.LazyFrame:
    """The frame after one step; `others` are the inputs a join may use, by name."""
    match step:
        case Select(columns=columns):
            return frame.select(pl.col(c) if isinstance(c, str) else c.to_polars() for c in columns)
        case Filter(condition=condition):
            return frame.filter(condition.to_polars())
        case WithColumns(columns=columns):
            return frame.with_columns(c.to_polars() for c in columns)
        case GroupBy(by=by, aggs=aggs):
            # maintain_order keeps results reproducible from run to run.
            return frame.group_by(by, maintain_order=True).agg(a.to_polars() for a in aggs)
        case Join(right=right, on=on, how=how, suffix=suffix):
            return frame.join(others[right], on=on, how=how, suffix=suffix)
        case Sort(by=by, descending=descending):
            return frame.sort(by, descending=descending, maintain_order=True)
        case Limit(n=n):
            return frame.limit(n)
    raise AssertionError(f"unhandled step {step!r}")
