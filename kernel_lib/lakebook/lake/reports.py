"""Publishes notebook reports like datasets, atomic for readers: report.ipynb, report.html,
metadata.json, then _SUCCESS (`results/reports/{report_id}/`)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from lakebook.common.lake import (
    METADATA_FILE,
    REPORT_HTML_FILE,
    REPORT_NOTEBOOK_FILE,
    SUCCESS_MARKER,
    check_identifier,
)
from lakebook.lake.metadata import ReportDraft, ReportMetadata

# The reuse keeps one rule for "when was this published" across datasets and reports.
from lakebook.lake.runs import modified_at
from lakebook.lake.store import LakeNotFoundError, LakeStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PublishedReport:
    """A report whose _SUCCESS marker exists: its files are complete (the run may have failed:
    metadata.json says so; a failed run's partial report is published too)."""

    report_id: str
    notebook_uri: str
    html_uri: str
    metadata_uri: str
    published_at: datetime


class ReportPublisher:
    """Writes and lists reports under `results/reports/`."""

    def __init__(self, store: LakeStore) -> None:
        self.store = store
        self.paths = store.paths

    def publish(
        self, report_id: str, *, notebook: bytes, html: bytes, metadata: ReportDraft
    ) -> PublishedReport:
        """Writes the report's files, _SUCCESS last; a retry overwrites its own prefix only."""
        check_identifier("report id", report_id)
        key = self.paths.report_key
        # A retry of the same run reuses its prefix: hide the old report before overwriting it.
        self.store.remove(key(report_id, SUCCESS_MARKER))
        self.store.write_bytes(key(report_id, REPORT_NOTEBOOK_FILE), notebook)
        self.store.write_bytes(key(report_id, REPORT_HTML_FILE), html)
        now = datetime.now(UTC)
        document = ReportMetadata.published(metadata, report_id=report_id, published_at=now)
        self.store.write_bytes(key(report_id, METADATA_FILE), document.to_json())
        marker = json.dumps({"published_at": now.isoformat()}).encode()
        self.store.write_bytes(key(report_id, SUCCESS_MARKER), marker)
        logger.info("published report %s", report_id)
        return self.published(report_id, now)

    def list_reports(self) -> list[PublishedReport]:
        """Every report with _SUCCESS, newest first; half-written ones are not there."""
        prefix = self.paths.reports_prefix()
        try:
            objects = self.store.find(prefix)
        except LakeNotFoundError:
            return []
        reports = []
        for name, info in objects.items():
            parts = name.removeprefix(prefix + "/").split("/")
            if len(parts) == 2 and parts[1] == SUCCESS_MARKER:
                reports.append(self.published(parts[0], modified_at(info)))
        return sorted(reports, key=lambda report: report.published_at, reverse=True)

    def read_metadata(self, report_id: str) -> ReportMetadata:
        """metadata.json of a published report; an unpublished one is reported as missing, one
        lakebook did not write as a LakeMetadataError naming the file and the field."""
        success = self.paths.report_key(report_id, SUCCESS_MARKER)
        with self.store.translate_errors("check", success):
            published = bool(self.store.fs.exists(self.store.fs_path(success)))
        if not published:
            raise LakeNotFoundError(f"report {report_id!r} is not published")
        metadata_key = self.paths.report_key(report_id, METADATA_FILE)
        raw = self.store.read_bytes(metadata_key)
        return ReportMetadata.from_json(raw, source=self.paths.uri(metadata_key))

    def published(self, report_id: str, published_at: datetime) -> PublishedReport:
        """Where a published report's files are (its prefix under `results/reports/`)."""
        uri = self.paths.uri
        key = self.paths.report_key
        return PublishedReport(
            report_id=report_id,
            notebook_uri=uri(key(report_id, REPORT_NOTEBOOK_FILE)),
            html_uri=uri(key(report_id, REPORT_HTML_FILE)),
            metadata_uri=uri(key(report_id, METADATA_FILE)),
            published_at=published_at,
        )
