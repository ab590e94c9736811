"""Publishes Polars frames to the lake, atomic for readers: data, metadata.json, _SUCCESS."""

from __future__ import annotations

import contextlib
import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import polars as pl
from polars.io.partition import SinkedPath, SinkedPathsCallbackArgs

from lakebook.common.lake import (
    DATASET_NAME,
    SUCCESS_MARKER,
    check_dataset_name,
    check_identifier,
    parse_publication,
)
from lakebook.flows.lake_store import (
    LakeError,
    LakeNotFoundError,
    LakeStore,
    describe_write_failure,
)

logger = logging.getLogger(__name__)

# Row groups of about 128 MB before compression, between DuckDB's default of 122,880 rows and
# pyarrow's of 2**20. Readers on S3 fetch and decode each column chunk of each row group on its
# own: 10M rows of 5 columns on SeaweedFS read 22-28% faster in Polars and 31-37% faster in a
# DuckDB first read in 2**20-row groups than in 122,880-row ones, from a 16% smaller file
# (benchmarks/README.md, "Row groups"). Polars sizes row groups in rows only and a sink buffers
# a whole one, so the size comes from the row's width: measured for a DataFrame; for a LazyFrame,
# whose rows are not computed yet, a text column's mean length where the caller measured it
# (`column_bytes`: ingest_upload counts it while checking the rows), otherwise guessed from the
# schema: 8 bytes for a fixed-width value, more for a string and more again for a list or struct.
ROW_GROUP_BYTES = 128 * 2**20
ROW_GROUP_ROWS_RANGE = (122_880, 2**20)
FIXED_WIDTH_BYTES = 8
VARIABLE_WIDTH_BYTES = 32
# Polars holds a string or binary value as a 16-byte view plus its bytes; a measured width
# (DataFrame.estimated_size, a mean length) counts the bytes only.
VIEW_BYTES = 16
NESTED_BYTES = 64
COMPRESSION: Final = "zstd"
# The file's own copy of metadata.json's `text_bytes`, in its Parquet footer: a transform reading
# the run gets it with the footer read it makes anyway (Polars, beside the schema), not with a
# GET of metadata.json through botocore (~3 ms of CPU in a run's critical path).
TEXT_BYTES_FOOTER_KEY: Final = "lakebook.text_bytes"
# How many of a dataset's newest publication entries `latest_run` reads in its one LIST: an
# entry is passed over while its run is being rewritten (a retry) or after its run failed.
LATEST_CANDIDATES: Final = 5


def row_group_rows(
    schema: Mapping[str, pl.DataType], column_bytes: Mapping[str, float] | None = None
) -> int:
    """Rows per row group for a table of this schema: a string column's values are
    `column_bytes[name]` bytes long where that is known (measured by whoever read the data),
    other widths are guessed."""
    known = column_bytes or {}
    widths = (
        known[name] + VIEW_BYTES if name in known and is_text(dtype) else _value_bytes(dtype)
        for name, dtype in schema.items()
    )
    return _rows_of_width(math.ceil(sum(widths)))


def frame_row_group_rows(
    frame: pl.DataFrame | pl.LazyFrame, column_bytes: Mapping[str, float] | None = None
) -> int:
    """Rows per row group for this frame: a DataFrame's rows are measured (a column of long
    strings would make a guessed group many times 128 MB), a LazyFrame's known or guessed."""
    if isinstance(frame, pl.DataFrame) and frame.height > 0:
        views = VIEW_BYTES * sum(is_text(dtype) for dtype in frame.schema.values())
        return _rows_of_width(math.ceil(frame.estimated_size() / frame.height) + views)
    return row_group_rows(frame.collect_schema(), column_bytes)


def text_widths(
    frame: pl.DataFrame | pl.LazyFrame, column_bytes: Mapping[str, float] | None = None
) -> dict[str, float]:
    """The mean byte length of each string or binary column, where it is known: measured for a
    DataFrame, the caller's `column_bytes` for a LazyFrame. metadata.json records it, so a
    transform reading the dataset sizes its own row groups by it (`transform.plan_transform`)."""
    if isinstance(frame, pl.LazyFrame):
        return {name: round(float(width), 1) for name, width in (column_bytes or {}).items()}
    lengths = [
        mean_text_bytes(pl.col(name), dtype).alias(name)
        for name, dtype in frame.schema.items()
        if is_text(dtype)
    ]
    if not lengths or frame.height == 0:
        return {}
    means = frame.select(lengths).row(0, named=True)
    return {name: round(float(mean or 0.0), 1) for name, mean in means.items()}


def mean_text_bytes(values: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """The mean byte length of string or binary values, a null counting 0: a null holds no
    bytes in the row width the mean stands for (metadata.json's `text_bytes`)."""
    lengths = values.str.len_bytes() if dtype == pl.String else values.bin.size()
    return lengths.fill_null(0).mean()


def parse_text_widths(recorded: object) -> dict[str, float]:
    """Recorded widths as `{column: bytes}`; anything else reads as none recorded (widths only
    size row groups: an odd record must fail no read)."""
    if not isinstance(recorded, dict):
        return {}
    try:
        return {str(name): float(width) for name, width in recorded.items()}
    except (ValueError, TypeError):
        return {}


def _rows_of_width(row_bytes: int) -> int:
    fewest, most = ROW_GROUP_ROWS_RANGE
    return max(fewest, min(most, ROW_GROUP_BYTES // max(row_bytes, 1)))


def _value_bytes(dtype: pl.DataType) -> int:
    if dtype.is_nested():
        return NESTED_BYTES
    if is_text(dtype) or dtype == pl.Object:
        return VARIABLE_WIDTH_BYTES
    return FIXED_WIDTH_BYTES


def is_text(dtype: pl.DataType) -> bool:
    """A string or binary column: its values' widths vary, and are measured where known."""
    return dtype in (pl.String, pl.Binary)


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


class LakePublisher:
    """Writes and lists datasets under `processed/flows/{dataset}/{run_id}/`."""

    def __init__(self, store: LakeStore) -> None:
        self.store = store
        self.paths = store.paths

    def publish(
        self,
        frame: pl.DataFrame | pl.LazyFrame,
        *,
        dataset: str,
        run_id: str,
        flow_name: str,
        flow_version: str | None = None,
        user: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        inputs: Sequence[str] = (),
        started_at: datetime | None = None,
        column_bytes: Mapping[str, float] | None = None,
        run_prepared: bool = False,
    ) -> dict[str, Any]:
        """Publishes one run of a dataset and returns its metadata; readers see it once done.
        `column_bytes`: a lazy frame's mean string length in bytes by column, where the caller
        measured it, so its row groups stay near 128 MB (`frame_row_group_rows`).
        `run_prepared`: the caller has just called `prepare_run` for this run, as this would
        first."""
        check_dataset_name(dataset)
        check_identifier("run id", run_id)
        started_at = started_at or datetime.now(UTC)
        success_key = self.paths.run_success_key(dataset, run_id)
        data_key = self.paths.run_data_key(dataset, run_id)

        if not run_prepared:
            self.prepare_run(dataset, run_id)
        widths = text_widths(frame, column_bytes)
        written = self._write_data(frame, data_key, column_bytes, widths)
        # What was written is the plan's schema, and Polars reports the file's rows and bytes:
        # no read of the new footer, no HEAD (three lake calls fewer inside every run).
        schema = frame.collect_schema()
        published_at = datetime.now(UTC)
        metadata: dict[str, Any] = {
            "dataset": dataset,
            "run_id": run_id,
            "flow_name": flow_name,
            "flow_version": flow_version,
            "user": user,
            "parameters": _jsonable(parameters or {}),
            "inputs": list(inputs),
            "data_uri": self.paths.uri(data_key),
            "format": "parquet",
            "compression": COMPRESSION,
            "schema": {name: str(dtype) for name, dtype in schema.items()},
            "row_count": written.num_rows,
            "bytes": written.num_bytes,
            "text_bytes": widths,
            "started_at": started_at.isoformat(),
            "published_at": published_at.isoformat(),
        }
        metadata_bytes = json.dumps(metadata, indent=2, sort_keys=True).encode()
        # The publication entry before _SUCCESS: readers check the marker of the run an entry
        # names, so an entry whose run then failed is passed over.
        self.store.write_many(
            {
                self.paths.run_metadata_key(dataset, run_id): metadata_bytes,
                self.paths.publication_key(dataset, run_id, published_at): b"",
            }
        )
        self._mark_success(success_key, metadata["published_at"])
        logger.info("published %s run %s (%d rows)", dataset, run_id, metadata["row_count"])
        return metadata

    def prepare_run(self, dataset: str, run_id: str) -> None:
        """Made before a run writes its data: removes the run's _SUCCESS, so readers no longer
        see it (a retry of the same run reuses its prefix, and hides the old run before
        overwriting it), and adds the dataset to the run's index (`find_run` reads it).
        Indexed first, a run that then fails is in the index without a _SUCCESS: not found."""
        self.store.remove(self.paths.run_success_key(dataset, run_id))
        self.store.write_bytes(self.paths.run_index_key(run_id, dataset), b"")

    def write_part(self, frame: pl.DataFrame | pl.LazyFrame, key: str) -> None:
        """Writes an intermediate Parquet file (a partition's output); readers never list it."""
        self._write_data(frame, key)

    def scan_parts(self, keys: Sequence[str]) -> pl.LazyFrame:
        """One lazy frame over part files, in the order given."""
        targets = [self.store.data_target(key) for key in keys]
        return pl.scan_parquet(targets, storage_options=self.store.polars_options or None)

    def _write_data(
        self,
        frame: pl.DataFrame | pl.LazyFrame,
        data_key: str,
        column_bytes: Mapping[str, float] | None = None,
        widths: Mapping[str, float] | None = None,
    ) -> SinkedPath:
        """Streams the frame into one Parquet file; returns the file Polars reports written.
        `widths`, when given, go into its footer (`TEXT_BYTES_FOOTER_KEY`)."""
        target = self.store.data_target(data_key)
        written: list[SinkedPath] = []

        def record(args: SinkedPathsCallbackArgs) -> None:
            written.extend(args.paths)

        footer = None if widths is None else {TEXT_BYTES_FOOTER_KEY: json.dumps(dict(widths))}
        try:
            frame.lazy().sink_parquet(
                target,
                compression=COMPRESSION,
                row_group_size=frame_row_group_rows(frame, column_bytes),
                storage_options=self.store.polars_options or None,
                credential_provider=None,
                mkdir=True,
                metadata=footer,
                sinked_paths_callback=record,
            )
        except (pl.exceptions.PolarsError, OSError) as error:
            raise describe_write_failure(self.store, data_key, error) from error
        if len(written) != 1:
            raise LakeError(f"Polars reported {len(written)} files written for {target}, not 1")
        return written[0]

    def _mark_success(self, success_key: str, published_at: str) -> None:
        """Written last: its presence is what makes a run visible."""
        self.store.write_bytes(success_key, json.dumps({"published_at": published_at}).encode())

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
            if self._is_published(dataset, run_id):
                data_uri = self.paths.uri(self.paths.run_data_key(dataset, run_id))
                return PublishedRun(dataset, run_id, data_uri, published_at)
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
        if info is None:
            return None
        data_uri = self.paths.uri(self.paths.run_data_key(dataset, run_id))
        return PublishedRun(dataset, run_id, data_uri, _modified_at(info))

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

    def read_metadata(self, dataset: str, run_id: str) -> dict[str, Any]:
        """metadata.json of a published run; an unpublished run is reported as missing."""
        if not self._is_published(dataset, run_id):
            raise LakeNotFoundError(f"run {run_id!r} of dataset {dataset!r} is not published")
        raw = self.store.read_bytes(self.paths.run_metadata_key(dataset, run_id))
        metadata: dict[str, Any] = json.loads(raw)
        return metadata

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
        metadata = _json_or_none(raw)
        return parse_text_widths(metadata.get("text_bytes") if isinstance(metadata, dict) else None)

    def scan(self, dataset: str, run_id: str | None = None) -> pl.LazyFrame:
        """A lazy frame over a published run (the latest unless one is pinned)."""
        return self.open_run(dataset, run_id).frame

    def open_run(self, dataset: str, run_id: str | None = None) -> OpenedRun:
        """The run a read uses (the latest unless one is pinned) and a lazy frame over it: the
        latest found from its publication entries (a LIST of a few keys and a check of its
        _SUCCESS), or the pinned run's check."""
        if run_id is None:
            run_id = self.latest_run(dataset).run_id
        elif not self._is_published(dataset, run_id):
            raise LakeNotFoundError(f"run {run_id!r} of dataset {dataset!r} is not published")
        return OpenedRun(run_id=run_id, frame=self._scan_data(dataset, run_id))

    def scan_published(self, run: PublishedRun) -> pl.LazyFrame:
        """A lazy frame over a run a listing found published: no second check of its marker."""
        return self._scan_data(run.dataset, run.run_id)

    def _scan_data(self, dataset: str, run_id: str) -> pl.LazyFrame:
        target = self.store.data_target(self.paths.run_data_key(dataset, run_id))
        return pl.scan_parquet(target, storage_options=self.store.polars_options or None)

    def _is_published(self, dataset: str, run_id: str) -> bool:
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
            run = PublishedRun(
                dataset=dataset,
                run_id=run_id,
                data_uri=self.paths.uri(self.paths.run_data_key(dataset, run_id)),
                published_at=_modified_at(info),
            )
            runs.setdefault(dataset, []).append(run)
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


def _modified_at(info: Mapping[str, Any]) -> datetime:
    """The object's modification time from fsspec details (S3 `LastModified`, local `mtime`)."""
    value = info.get("LastModified") or info.get("mtime") or info.get("created")
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    raise LakeError(f"object {info.get('name')} has no modification time")


def _jsonable(value: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters as JSON: dates and other objects become strings rather than failing the run."""
    result: dict[str, Any] = json.loads(json.dumps(dict(value), default=str))
    return result


def _json_or_none(raw: str | bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None
