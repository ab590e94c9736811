"""Reads what the lake publisher wrote: which runs are published, the latest, a run's data."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import polars as pl

from lakebook.common.lake import DATASET_NAME, SUCCESS_MARKER, parse_publication
from lakebook.lake.metadata import RunMetadata, recorded_text_widths
from lakebook.lake.row_widths import TEXT_BYTES_FOOTER_KEY, parse_text_widths
from lakebook.lake.store import LakeError, LakeNotFoundError, LakeStore

# How many of a dataset's newest publication entries `latest_run` reads in its one LIST: an
# entry is passed over while its run is being rewritten (a retry) or after its run failed.
LATEST_CANDIDATES: Final = 5


@dataclass(frozen=True)
class PublishedRun:
    """A run whose _SUCCESS marker exists: its data is complete and safe to read."""

    dataset: str
    run_id: str
    data_uri: str
    published_at: datetime


@dataclass(frozen=True)
class OpenedRun:
    """A published run being read: which run, and a lazy frame over its data."""

    run_id: str
    frame: pl.LazyFrame


@dataclass(frozen=True)
class DatasetSummary:
    """A dataset with at least one published run."""

    name: str
    latest: PublishedRun
    run_count: int


class LakeRuns:
    """The published runs of the datasets under `processed/flows/`: only runs with `_SUCCESS`
    exist for readers."""

    def __init__(self, store: LakeStore) -> None:
        self.store = store
        self.paths = store.paths

    def list_runs(self, dataset: str) -> list[PublishedRun]:
        """The dataset's published runs, newest first; runs without _SUCCESS are not there."""
        prefix = self.paths.dataset_prefix(dataset)
        runs = self._published_runs(prefix)
        return sorted(runs.get(dataset, []), key=lambda run: run.published_at, reverse=True)

    def latest_run(self, dataset: str) -> PublishedRun:
        """The newest published run of a dataset, or LakeNotFoundError.

        Read from the dataset's publication entries, which list newest first: one LIST of a
        few keys and a check of the newest entry's _SUCCESS, however many runs the dataset
        has. Where none of those few names a published run (a dataset published before the
        entries existed, or runs being rewritten), every run is listed instead."""
        latest = self._latest_publication(dataset)
        if latest is not None:
            return latest
        runs = self.list_runs(dataset)
        if not runs:
            raise LakeNotFoundError(
                f"dataset {dataset!r} has no published run in {self.paths.root}"
            )
        return runs[0]

    def _latest_publication(self, dataset: str) -> PublishedRun | None:
        prefix = self.paths.publications_prefix(dataset) + "/"
        try:
            keys = self.store.first_keys(prefix, LATEST_CANDIDATES)
        except LakeNotFoundError:
            return None
        for key in keys:
            entry = parse_publication(key.removeprefix(prefix))
            if entry is None:
                continue
            run_id, published_at = entry
            if self.is_published(dataset, run_id):
                return self._run(dataset, run_id, published_at)
        return None

    def find_run(self, run_id: str) -> PublishedRun:
        """The published output of a run, whatever dataset it went to (the newest, for a run
        that published several); LakeNotFoundError if none.

        The run's index names its datasets: one listing of the run's own index and a check of
        each dataset's _SUCCESS, however large the lake. A run published before runs were
        indexed is found by listing every dataset, and indexed then, so once only."""
        indexed = self._indexed_datasets(run_id)
        if indexed:
            runs = [run for name in indexed if (run := self._published_run(name, run_id))]
        else:
            runs = self._find_unindexed_run(run_id)
        if not runs:
            raise LakeNotFoundError(f"run {run_id!r} has published no dataset")
        return max(self._break_ties(runs), key=lambda run: run.published_at)

    def _indexed_datasets(self, run_id: str) -> list[str]:
        index_prefix = self.paths.run_index_prefix(run_id) + "/"
        try:
            keys = self.store.find(index_prefix)
        except LakeNotFoundError:
            return []
        # Only the index's own entries: SeaweedFS also lists a folder emptied of them.
        names = (key.removeprefix(index_prefix) for key in keys if key.startswith(index_prefix))
        return [name for name in names if DATASET_NAME.fullmatch(name)]

    def _published_run(self, dataset: str, run_id: str) -> PublishedRun | None:
        info = self.store.details(self.paths.run_success_key(dataset, run_id))
        return None if info is None else self._run(dataset, run_id, modified_at(info))

    def _run(self, dataset: str, run_id: str, published_at: datetime) -> PublishedRun:
        data_uri = self.paths.uri(self.paths.run_data_key(dataset, run_id))
        return PublishedRun(dataset, run_id, data_uri, published_at)

    def _find_unindexed_run(self, run_id: str) -> list[PublishedRun]:
        everything = self._published_runs(self.paths.datasets_prefix()).values()
        found = [run for runs in everything for run in runs if run.run_id == run_id]
        for run in found:
            # Only saves the next lookup a listing: a lake these credentials cannot write to
            # still answers this one.
            with contextlib.suppress(LakeError):
                self.store.write_bytes(self.paths.run_index_key(run_id, run.dataset), b"")
        return found

    def list_datasets(self) -> list[DatasetSummary]:
        """Every dataset with at least one published run, by name."""
        runs_by_dataset = self._published_runs(self.paths.datasets_prefix())
        summaries = []
        for name, runs in sorted(runs_by_dataset.items()):
            newest = max(runs, key=lambda run: run.published_at)
            summaries.append(DatasetSummary(name=name, latest=newest, run_count=len(runs)))
        return summaries

    def read_metadata(self, dataset: str, run_id: str) -> RunMetadata:
        """metadata.json of a published run; an unpublished run is reported as missing, one
        lakebook did not write as a LakeMetadataError naming the file and the field."""
        if not self.is_published(dataset, run_id):
            raise LakeNotFoundError(f"run {run_id!r} of dataset {dataset!r} is not published")
        key = self.paths.run_metadata_key(dataset, run_id)
        return RunMetadata.from_json(self.store.read_bytes(key), source=self.paths.uri(key))

    def read_text_widths(self, dataset: str, run_id: str) -> dict[str, float]:
        """A published run's `text_bytes` (the mean byte length of its string columns) from its
        Parquet footer, or from its metadata.json for a run whose footer has none (published
        before footers carried them); empty where neither recorded them."""
        target = self.store.data_target(self.paths.run_data_key(dataset, run_id))
        try:
            footer = pl.read_parquet_metadata(
                target, storage_options=self.store.polars_options or None, credential_provider=None
            )
        except (pl.exceptions.PolarsError, OSError):
            # Planning reads this footer for the schema too, and that read says what is wrong.
            return {}
        if TEXT_BYTES_FOOTER_KEY in footer:
            return parse_text_widths(_json_or_none(footer[TEXT_BYTES_FOOTER_KEY]))
        try:
            raw = self.store.read_bytes(self.paths.run_metadata_key(dataset, run_id))
        except LakeNotFoundError:
            return {}
        return recorded_text_widths(raw)

    def scan(self, dataset: str, run_id: str | None = None) -> pl.LazyFrame:
        """A lazy frame over a published run (the latest unless one is pinned)."""
        return self.open_run(dataset, run_id).frame

    def open_run(self, dataset: str, run_id: str | None = None) -> OpenedRun:
        """The run a read uses (the latest unless one is pinned) and a lazy frame over it: the
        latest found from its publication entries (a LIST of a few keys and a check of its
        _SUCCESS), or the pinned run's check."""
        if run_id is None:
            run_id = self.latest_run(dataset).run_id
        elif not self.is_published(dataset, run_id):
            raise LakeNotFoundError(f"run {run_id!r} of dataset {dataset!r} is not published")
        return OpenedRun(run_id=run_id, frame=self._scan_data(dataset, run_id))

    def scan_published(self, run: PublishedRun) -> pl.LazyFrame:
        """A lazy frame over a run a listing found published: no second check of its marker."""
        return self._scan_data(run.dataset, run.run_id)

    def _scan_data(self, dataset: str, run_id: str) -> pl.LazyFrame:
        target = self.store.data_target(self.paths.run_data_key(dataset, run_id))
        return pl.scan_parquet(target, storage_options=self.store.polars_options or None)

    def is_published(self, dataset: str, run_id: str) -> bool:
        """Whether that run of the dataset exists for readers (its _SUCCESS is there)."""
        key = self.paths.run_success_key(dataset, run_id)
        with self.store.translate_errors("check", key):
            return bool(self.store.fs.exists(self.store.fs_path(key)))

    def _published_runs(self, prefix: str) -> dict[str, list[PublishedRun]]:
        datasets_prefix = self.paths.datasets_prefix() + "/"
        try:
            objects = self.store.find(prefix)
        except LakeNotFoundError:
            return {}
        runs: dict[str, list[PublishedRun]] = {}
        for key, info in objects.items():
            parts = key.removeprefix(datasets_prefix).split("/")
            if len(parts) != 3 or parts[2] != SUCCESS_MARKER:
                continue
            dataset, run_id = parts[0], parts[1]
            runs.setdefault(dataset, []).append(self._run(dataset, run_id, modified_at(info)))
        return {name: self._break_ties(found) for name, found in runs.items()}

    def _break_ties(self, runs: list[PublishedRun]) -> list[PublishedRun]:
        """Object stores keep whole seconds; runs published within one second are ordered by the
        precise time their _SUCCESS marker holds (read only for those runs)."""
        seen: dict[datetime, int] = {}
        for run in runs:
            seen[run.published_at] = seen.get(run.published_at, 0) + 1
        return [self._precise(run) if seen[run.published_at] > 1 else run for run in runs]

    def _precise(self, run: PublishedRun) -> PublishedRun:
        marker = self.store.read_bytes(self.paths.run_success_key(run.dataset, run.run_id))
        published_at = datetime.fromisoformat(json.loads(marker)["published_at"])
        return PublishedRun(run.dataset, run.run_id, run.data_uri, published_at)


def modified_at(info: Mapping[str, Any]) -> datetime:
    """The object's modification time from fsspec details (S3 `LastModified`, local `mtime`)."""
    value = info.get("LastModified") or info.get("mtime") or info.get("created")
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    raise LakeError(f"object {info.get('name')} has no modification time")


def _json_or_none(raw: str | bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None
