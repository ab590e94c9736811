"""Publishes Polars frames to the lake, atomic for readers: data, metadata.json, _SUCCESS."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

import polars as pl
from polars.io.partition import SinkedPath, SinkedPathsCallbackArgs

from lakebook.common.lake import check_dataset_name, check_identifier
from lakebook.lake.metadata import REJECT_SAMPLE_ROWS, RejectedRowRecord, RunMetadata
from lakebook.lake.row_widths import TEXT_BYTES_FOOTER_KEY, frame_row_group_rows, text_widths
from lakebook.lake.runs import LakeRuns
from lakebook.lake.store import LakeError, describe_write_failure

logger = logging.getLogger(__name__)

COMPRESSION: Final = "zstd"


class LakePublisher(LakeRuns):
    """Writes datasets under `processed/flows/{dataset}/{run_id}/` (and reads them: LakeRuns)."""

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
        rows_rejected: int | None = None,
        reject_sample: Sequence[RejectedRowRecord] = (),
    ) -> RunMetadata:
        """Publishes one run of a dataset and returns its metadata; readers see it once done.
        `column_bytes`: a lazy frame's mean string length in bytes by column, where the caller
        measured it, so its row groups stay near 128 MB (`frame_row_group_rows`).
        `run_prepared`: the caller has just called `prepare_run` for this run, as this would
        first. `rows_rejected`: input rows the flow left out of the frame (None: it counts
        none), `reject_sample` the first few (at most REJECT_SAMPLE_ROWS are kept)."""
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
        metadata = RunMetadata(
            dataset=dataset,
            run_id=run_id,
            flow_name=flow_name,
            flow_version=flow_version,
            user=user,
            parameters=_jsonable(parameters or {}),
            inputs=list(inputs),
            data_uri=self.paths.uri(data_key),
            format="parquet",
            compression=COMPRESSION,
            schema={name: str(dtype) for name, dtype in schema.items()},
            row_count=written.num_rows,
            bytes=written.num_bytes,
            text_bytes=widths,
            rows_rejected=rows_rejected,
            reject_sample=list(reject_sample[:REJECT_SAMPLE_ROWS]),
            started_at=started_at,
            published_at=published_at,
        )
        # The publication entry before _SUCCESS: readers check the marker of the run an entry
        # names, so an entry whose run then failed is passed over.
        self.store.write_many(
            {
                self.paths.run_metadata_key(dataset, run_id): metadata.to_json(),
                self.paths.publication_key(dataset, run_id, published_at): b"",
            }
        )
        self._mark_success(success_key, published_at.isoformat())
        # After _SUCCESS: a reader that sees the marker change and looks up finds this run.
        self._mark_change(dataset, run_id, "published")
        logger.info("published %s run %s (%d rows)", dataset, run_id, metadata.row_count)
        return metadata

    def prepare_run(self, dataset: str, run_id: str) -> None:
        """Made before a run writes its data: removes the run's _SUCCESS, so readers no longer
        see it (a retry of the same run reuses its prefix, and hides the old run before
        overwriting it), and adds the dataset to the run's index (`find_run` reads it).
        Indexed first, a run that then fails is in the index without a _SUCCESS: not found.
        The dataset's change marker is rewritten too (after the removal, beside the index
        entry): a reader whose view read this run looks the latest up again."""
        self.store.remove(self.paths.run_success_key(dataset, run_id))
        self.store.write_many(
            {
                self.paths.run_index_key(run_id, dataset): b"",
                self.paths.change_marker_key(dataset): _change(run_id, "prepared"),
            }
        )

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

    def _mark_change(self, dataset: str, run_id: str, change: str) -> None:
        self.store.write_bytes(self.paths.change_marker_key(dataset), _change(run_id, change))

    def _mark_success(self, success_key: str, published_at: str) -> None:
        """Written last: its presence is what makes a run visible."""
        self.store.write_bytes(success_key, json.dumps({"published_at": published_at}).encode())


def _change(run_id: str, change: str) -> bytes:
    """A change marker's body: unique to each write (the time and a random nonce), so that its
    ETag (on S3 the MD5 of the body) differs from every earlier one."""
    stamp = datetime.now(UTC).isoformat(timespec="microseconds")
    body = {"run_id": run_id, "change": change, "at": stamp, "nonce": secrets.token_hex(8)}
    return json.dumps(body).encode()


def _jsonable(value: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters as JSON: dates and other objects become strings rather than failing the run."""
    result: dict[str, Any] = json.loads(json.dumps(dict(value), default=str))
    return result
