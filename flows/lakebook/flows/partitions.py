"""Partitioned transforms: the row-wise head of a spec runs once per slice of the first input.

A step is row-wise when each output row depends only on its own input row, so running it over
slices and concatenating the results (in slice order) equals running it over the whole input.
Aggregations break that (a frame-wide `sum` differs per slice), and so does a `select` of
literals only (it yields one row, not one per input row).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lakebook.common.settings import Settings
from lakebook.flows.lake_tasks import lake_publisher, lake_task
from lakebook.lake.transform_spec import (
    AggregationOf,
    ColumnRef,
    Expression,
    Filter,
    LiteralValue,
    NamedExpression,
    Operation,
    Select,
    Step,
    WithColumns,
    apply_steps,
)

PARTS_FOLDER = "_parts"
# The publisher's largest row group (a table of up to 16 fixed-width columns): a partition
# reads whole row groups, and is big enough that task overhead stays small.
DASK_PARTITION_ROWS = 2**20


def rows_per_partition(settings: Settings) -> int | None:
    """Rows per partition task for transforms, or None: one plan, no partition tasks."""
    if settings.flows.transform_partition_rows is not None:
        return settings.flows.transform_partition_rows
    return DASK_PARTITION_ROWS if settings.flows.task_runner == "dask" else None


@dataclass(frozen=True)
class Partition:
    """Rows [offset, offset + length) of one published run, and where its result goes."""

    dataset: str
    run_id: str
    offset: int
    length: int
    part_key: str


def row_wise_prefix(steps: Sequence[Step]) -> int:
    """How many leading steps can run per partition."""
    for position, step in enumerate(steps):
        if not _is_row_wise(step):
            return position
    return len(steps)


def _is_row_wise(step: Step) -> bool:
    match step:
        case Select(columns=columns):
            exprs = [c.expr for c in columns if isinstance(c, NamedExpression)]
            reads_a_column = len(exprs) < len(columns) or any(_reads_column(e) for e in exprs)
            return reads_a_column and not any(_aggregates(e) for e in exprs)
        case Filter(condition=condition):
            return not _aggregates(condition)
        case WithColumns(columns=columns):
            return not any(_aggregates(c.expr) for c in columns)
    return False


def _aggregates(expr: Expression) -> bool:
    match expr:
        case AggregationOf():
            return True
        case Operation(args=args):
            return any(_aggregates(arg) for arg in args)
    return False


def _reads_column(expr: Expression) -> bool:
    match expr:
        case ColumnRef():
            return True
        case Operation(args=args):
            return any(_reads_column(arg) for arg in args)
        case LiteralValue():
            return False
    return False


def part_key(run_prefix: str, index: int) -> str:
    """Parts live inside the run's own prefix, which readers only see once `_SUCCESS` exists."""
    return f"{run_prefix}/{PARTS_FOLDER}/part-{index:05d}.parquet"


def parts_prefix(run_prefix: str) -> str:
    return f"{run_prefix}/{PARTS_FOLDER}"


def plan_partitions(
    dataset: str, run_id: str, run_prefix: str, rows: int, partition_rows: int
) -> list[Partition]:
    """Consecutive row ranges covering all rows; one range means there is nothing to split."""
    return [
        Partition(
            dataset=dataset,
            run_id=run_id,
            offset=offset,
            length=min(partition_rows, rows - offset),
            part_key=part_key(run_prefix, index),
        )
        for index, offset in enumerate(range(0, rows, partition_rows))
    ]


@lake_task("transform-partition", tags={"lake", "heavy"})
def transform_partition(partition: Partition, steps: list[Step]) -> str:
    """Runs the row-wise steps over one slice of the input and writes the part file."""
    publisher = lake_publisher()
    # The slice is pushed into the Parquet scan: only the row groups it covers are read.
    frame = publisher.scan(partition.dataset, partition.run_id).slice(
        partition.offset, partition.length
    )
    publisher.write_part(apply_steps(frame, steps, {}), partition.part_key)
    return partition.part_key
