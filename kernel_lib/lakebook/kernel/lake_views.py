"""The `lake` schema: one view per published dataset, on its latest (or pinned) run's Parquet."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import unquote, urlsplit

import duckdb

from lakebook.common.lake import LakePathError
from lakebook.kernel.sql_text import quote_identifier, quote_literal
from lakebook.lake.changes import ChangeMarkers
from lakebook.lake.publisher import LakePublisher
from lakebook.lake.runs import DatasetSummary, PublishedRun
from lakebook.lake.store import LakeError, LakeNotFoundError

logger = logging.getLogger(__name__)

SCHEMA = "lake"
# Datasets of one query whose latest runs are looked up side by side (each a LIST and a HEAD).
_LOOKUP_THREADS = 8


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
        # The change-marker tag listed just before each of those lookups: while a dataset's tag
        # is the same, its latest run is too (`ChangeMarkers`).
        self.tags: dict[str, str] = {}
        self.markers = ChangeMarkers(publisher.store)
        self._schema_made = False

    @property
    def root(self) -> str:
        return self.publisher.paths.root

    def refresh(self) -> list[DatasetSummary]:
        """Lists the lake once and points every view at its dataset's latest or pinned run."""
        tags = self._marker_tags()  # before the listing: a change after it shows next time
        datasets = self.publisher.list_datasets()
        wanted = {summary.name: summary.latest for summary in datasets}
        for dataset, run_id in self.pins.items():
            wanted[dataset] = self.pinned_run(dataset, run_id)
        self._ensure_schema()
        for gone in set(self.runs) - set(wanted):
            self._drop_view(gone)
        for dataset, run in wanted.items():
            if self.runs.get(dataset) != run:
                self._point_view(run)
        self.runs = wanted
        listed_at = time.monotonic()
        self.latest_at = {name: listed_at for name in wanted if name not in self.pins}
        self.tags = {name: tags[name] for name in self.latest_at if name in tags}
        return datasets

    def update(
        self, datasets: Iterable[str], max_age: float, extra_pins: Mapping[str, str] | None = None
    ) -> list[str]:
        """Points the views of these datasets (the ones a query reads) at their pinned runs
        (`extra_pins` first, for one query) or latest runs, and returns those that have none.

        A view not pointed at its latest run within `max_age` seconds is checked: one LIST of
        the lake's change markers (`ChangeMarkers`) for all of them, and a lookup of the latest
        run (`LakePublisher.latest_run`: its newest publication entries), side by side, only for
        a dataset whose marker changed since its view's last lookup, or that has none."""
        extra_pins = extra_pins or {}
        self._ensure_schema()
        wanted = {name: extra_pins.get(name) or self.pins.get(name) for name in datasets}
        stale = {
            name: pin for name, pin in wanted.items() if not self._is_current(name, pin, max_age)
        }
        if not stale:
            return []
        checked_at = time.monotonic()
        tags = self._marker_tags() if None in stale.values() else {}
        unchanged = [
            name
            for name, pin in stale.items()
            if pin is None
            and name in self.latest_at
            and name in tags
            and self.tags.get(name) == tags[name]
        ]
        for name in unchanged:
            self.latest_at[name] = checked_at
        found = self._look_up({name: pin for name, pin in stale.items() if name not in unchanged})
        missing = []
        for name, run in found.items():
            if run is None:
                self._drop_view(name)
                missing.append(name)
                continue
            if self.runs.get(name) != run:
                self._point_view(run)
            self.runs[name] = run
            if stale[name] is None:
                self.latest_at[name] = checked_at
                self._remember_tag(name, tags.get(name))
            else:
                self.latest_at.pop(name, None)
                self.tags.pop(name, None)
        return missing

    def _look_up(self, datasets: Mapping[str, str | None]) -> dict[str, PublishedRun | None]:
        """Each dataset's pinned run (a value) or latest run (None), side by side; None for a
        dataset with no such run. Other lake errors propagate, the first one's first."""

        def one(name: str) -> PublishedRun | None:
            pin = datasets[name]
            try:
                return self.pinned_run(name, pin) if pin else self.publisher.latest_run(name)
            except (LakeNotFoundError, LakePathError):
                return None

        if len(datasets) <= 1:
            return {name: one(name) for name in datasets}
        with ThreadPoolExecutor(max_workers=min(len(datasets), _LOOKUP_THREADS)) as pool:
            return dict(zip(datasets, pool.map(one, datasets), strict=True))

    def _marker_tags(self) -> dict[str, str]:
        """Every dataset's change-marker tag; empty where the lake has none to offer (a local
        folder) or the listing failed: then every checked dataset is looked up, as before."""
        if not self.markers.available:
            return {}
        try:
            return self.markers.tags()
        except LakeError as error:
            logger.debug("change markers not listed, looking every dataset up: %s", error)
            return {}

    def _remember_tag(self, dataset: str, tag: str | None) -> None:
        if tag is None:
            self.tags.pop(dataset, None)
        else:
            self.tags[dataset] = tag

    def _ensure_schema(self) -> None:
        if not self._schema_made:
            self.connection.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
            self._schema_made = True

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
        self.tags.pop(dataset, None)

    def _point_view(self, run: PublishedRun) -> None:
        # DDL cannot take parameters; the location is built from checked names and the lake root.
        self.connection.execute(
            f"CREATE OR REPLACE VIEW {SCHEMA}.{quote_identifier(run.dataset)} AS "
            f"SELECT * FROM read_parquet({quote_literal(duckdb_location(run.data_uri))})"
        )
