"""The `lake` schema: one view per published dataset, on its latest (or pinned) run's Parquet."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

import duckdb

from lakebook.flows.publisher import DatasetSummary, LakePublisher, PublishedRun

SCHEMA = "lake"


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


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
            self.connection.execute(f"DROP VIEW IF EXISTS {SCHEMA}.{quote_identifier(gone)}")
        for dataset, run in wanted.items():
            if self.runs.get(dataset) != run:
                self._point_view(run)
        self.runs = wanted
        return datasets

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

    def missing(self, datasets: Iterable[str]) -> list[str]:
        """Which of these datasets have no view after the last refresh."""
        return [name for name in datasets if name not in self.runs]

    def _point_view(self, run: PublishedRun) -> None:
        # DDL cannot take parameters; the location is built from checked names and the lake root.
        self.connection.execute(
            f"CREATE OR REPLACE VIEW {SCHEMA}.{quote_identifier(run.dataset)} AS "
            f"SELECT * FROM read_parquet({quote_literal(duckdb_location(run.data_uri))})"
        )
