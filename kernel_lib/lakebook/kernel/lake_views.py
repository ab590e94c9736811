"""The `lake` schema: one view per published dataset, on its latest (or pinned) run's Parquet."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from urllib.parse import unquote, urlsplit

import duckdb

from lakebook.common.lake import LakePathError
from lakebook.kernel.sql_text import quote_identifier, quote_literal
from lakebook.lake.publisher import LakePublisher
from lakebook.lake.runs import DatasetSummary, PublishedRun
from lakebook.lake.store import LakeNotFoundError

SCHEMA = "lake"


def duckdb_location(data_uri: str) -> str:
    """What DuckDB reads for a run's data: the s3:// URI, or a plain path for a file:// lake."""
    if data_uri.startswith("file://"):
        return unquote(urlsplit(data_uri).path)
    return data_uri


class LakeViews:
    """Keeps `lake.<dataset>` views in step with the lake; pins hold a dataset at one run."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, publisher: LakePublisher) -> None:
        self.connection = connection
        self.publisher = publisher
        self.pins: dict[str, str] = {}
        self.runs: dict[str, PublishedRun] = {}
        # When each view that reads its dataset's latest run was last pointed at it (monotonic
        # seconds); a view on a pinned run has no entry.
        self.latest_at: dict[str, float] = {}

    @property
    def root(self) -> str:
        return self.publisher.paths.root

    def refresh(self) -> list[DatasetSummary]:
        """Lists the lake once and points every view at its dataset's latest or pinned run."""
        datasets = self.publisher.list_datasets()
        wanted = {summary.name: summary.latest for summary in datasets}
        for dataset, run_id in self.pins.items():
            wanted[dataset] = self.pinned_run(dataset, run_id)
        self.connection.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        for gone in set(self.runs) - set(wanted):
            self._drop_view(gone)
        for dataset, run in wanted.items():
            if self.runs.get(dataset) != run:
                self._point_view(run)
        self.runs = wanted
        listed_at = time.monotonic()
        self.latest_at = {name: listed_at for name in wanted if name not in self.pins}
        return datasets

    def update(
        self, datasets: Iterable[str], max_age: float, extra_pins: Mapping[str, str] | None = None
    ) -> list[str]:
        """Points the views of these datasets (the ones a query reads) at their pinned runs
        (`extra_pins` first, for one query) or latest runs, and returns those that have none.

        A latest run is looked up per dataset (`LakePublisher.latest_run`: its newest
        publication entries), not by listing the lake, and only for a view not pointed at its
        latest run within `max_age` seconds."""
        extra_pins = extra_pins or {}
        self.connection.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        missing = []
        for dataset in dict.fromkeys(datasets):
            pin = extra_pins.get(dataset) or self.pins.get(dataset)
            if self._is_current(dataset, pin, max_age):
                continue
            looked_up_at = time.monotonic()
            try:
                run = self.pinned_run(dataset, pin) if pin else self.publisher.latest_run(dataset)
            except (LakeNotFoundError, LakePathError):
                self._drop_view(dataset)
                missing.append(dataset)
                continue
            if self.runs.get(dataset) != run:
                self._point_view(run)
            self.runs[dataset] = run
            if pin is None:
                self.latest_at[dataset] = looked_up_at
            else:
                self.latest_at.pop(dataset, None)
        return missing

    def _is_current(self, dataset: str, pin: str | None, max_age: float) -> bool:
        """Whether the view already reads its pinned run, or its latest as of `max_age` ago."""
        if pin is not None:
            current = self.runs.get(dataset)
            return current is not None and current.run_id == pin
        looked_up = self.latest_at.get(dataset)
        return looked_up is not None and time.monotonic() - looked_up < max_age

    def pinned_run(self, dataset: str, run_id: str) -> PublishedRun:
        """A published run of a dataset, or a LookupError naming the runs there are."""
        runs = self.publisher.list_runs(dataset)
        for run in runs:
            if run.run_id == run_id:
                return run
        known = ", ".join(run.run_id for run in runs) or "none"
        raise LookupError(
            f"run {run_id!r} of dataset {dataset!r} is not published in {self.root} "
            f"(published runs: {known})"
        )

    def _drop_view(self, dataset: str) -> None:
        self.connection.execute(f"DROP VIEW IF EXISTS {SCHEMA}.{quote_identifier(dataset)}")
        self.runs.pop(dataset, None)
        self.latest_at.pop(dataset, None)

    def _point_view(self, run: PublishedRun) -> None:
        # DDL cannot take parameters; the location is built from checked names and the lake root.
        self.connection.execute(
            f"CREATE OR REPLACE VIEW {SCHEMA}.{quote_identifier(run.dataset)} AS "
            f"SELECT * FROM read_parquet({quote_literal(duckdb_location(run.data_uri))})"
        )
