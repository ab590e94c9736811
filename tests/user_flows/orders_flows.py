"""An analyst's own flows, as they would write them: the runner serves this folder's flows beside
lakebook's built-ins (LAKEBOOK_FLOWS_DIR)."""

from __future__ import annotations

import polars as pl

from lakebook.flows.lake_flow import lake_flow, read_dataset


@lake_flow(dataset="big_orders", tags={"heavy"})
def big_orders(min_amount: float = 50.0) -> pl.LazyFrame:
    """Orders at or above an amount."""
    return read_dataset("orders").filter(pl.col("amount") >= min_amount)


@lake_flow
def order_count(label: str = "all") -> pl.DataFrame:
    """How many orders there are, labelled."""
    count = read_dataset("orders").select(pl.len().alias("orders")).collect()
    return count.with_columns(label=pl.lit(label))


@lake_flow(name="not_a_frame")
def not_a_frame() -> pl.DataFrame:
    """A mistake users make: returning something that is not a frame."""
    return {"orders": 3}  # type: ignore[return-value]


@lake_flow
def copy_of(dataset: str = "orders") -> pl.LazyFrame:
    """Another dataset as it is: what a user's flow reads is what its launcher may read."""
    return read_dataset(dataset)
