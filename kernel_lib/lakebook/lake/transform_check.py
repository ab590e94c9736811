"""Whether a transform spec fits the schemas of the datasets it reads, found by running its
steps over empty frames of those schemas: no data is read, and each misfit names its step.

The flow checks this while planning; the gateway checks the same before a launch creates a run
(G7), so a column typo is a 422 naming the step rather than a failed run.
"""

from __future__ import annotations

import polars as pl

from lakebook.lake.transform_spec import TransformSpec, apply_step, apply_steps

# What Polars raises when a plan does not fit its data: unknown columns, mismatched types.
PLAN_ERRORS = (
    pl.exceptions.ColumnNotFoundError,
    pl.exceptions.SchemaError,
    pl.exceptions.InvalidOperationError,
    pl.exceptions.DuplicateError,
    pl.exceptions.ComputeError,
)


class TransformError(ValueError):
    """A spec that does not fit the datasets it reads; the message names the step, and `step`
    is its index in `spec.steps` (None when no single step is to blame)."""

    def __init__(self, message: str, step: int | None = None) -> None:
        super().__init__(message)
        self.step = step


def check_steps(spec: TransformSpec, schemas: dict[str, pl.Schema]) -> pl.Schema:
    """Runs the steps over empty frames of the inputs' schemas: type errors surface in Polars
    only when data is computed, and this finds them, by step, before any data is read."""
    empty = {name: pl.LazyFrame(schema=schema) for name, schema in schemas.items()}
    whole = apply_steps(empty[spec.inputs[0].name], spec.steps, empty)
    try:
        # One collect for a spec that fits (each costs about a millisecond); step by step
        # only to name the step that does not.
        return whole.collect().schema
    except PLAN_ERRORS:
        raise_first_misfit(spec, empty)
        raise


def raise_first_misfit(spec: TransformSpec, empty: dict[str, pl.LazyFrame]) -> None:
    """Raises TransformError for the first step whose output Polars cannot compute."""
    frame = empty[spec.inputs[0].name]
    columns = frame.collect_schema().names()
    for index, step in enumerate(spec.steps):
        frame = apply_step(frame, step, empty)
        try:
            columns = frame.collect().columns
        except PLAN_ERRORS as error:
            detail = str(error).strip().splitlines()[0]
            raise TransformError(
                f"step {index + 1} ({step.step}) does not fit its input: {detail}; "
                f"columns before this step: {', '.join(columns)}",
                step=index,
            ) from error
