"""Keys of the lake's zones: raw/ → processed/ → results/. Pure (no I/O): every part imports it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, Field

RAW_ZONE = "raw"
PROCESSED_ZONE = "processed"
RESULTS_ZONE = "results"

DATA_FILE = "output.parquet"
METADATA_FILE = "metadata.json"
SUCCESS_MARKER = "_SUCCESS"
REPORT_NOTEBOOK_FILE = "report.ipynb"
REPORT_HTML_FILE = "report.html"
REPORT_FILES = frozenset({REPORT_NOTEBOOK_FILE, REPORT_HTML_FILE, METADATA_FILE, SUCCESS_MARKER})
UPLOAD_EXTENSIONS = frozenset({"csv", "json", "parquet"})
UPLOADS_PREFIX = f"{RAW_ZONE}/uploads/"
# A notebook upload (run by run_notebook and schedules, never ingested) and its format's name.
NOTEBOOK_UPLOAD_FILE = "notebook.ipynb"
NOTEBOOK_FORMAT = "ipynb"

# A publication entry's name starts with this less the publish time in microseconds since the
# epoch, zero-padded: S3 lists keys in byte order, so the newest publication comes first.
_NEWEST_FIRST_BASE = 10**17
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_PUBLICATION = re.compile(r"^(\d{17})-(.+)$")

# Names become path segments and DuckDB view names, so they are kept to a safe alphabet.
DATASET_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


class LakePathError(ValueError):
    """A name or id that cannot be used as part of a lake key."""


def check_dataset_name(name: str) -> str:
    """A dataset or flow name: lower-case letters, digits and `_`, starting with a letter."""
    if not DATASET_NAME.fullmatch(name):
        raise LakePathError(
            f"dataset name {name!r} is not allowed: use lower-case letters, digits and '_', "
            "starting with a letter, at most 63 characters"
        )
    return name


# A flow parameter or spec field naming a dataset: checked by check_dataset_name when the run
# validates it, and carrying the rule as a JSON-schema pattern, so the parameter schema Prefect
# derives lets the gateway (and the launch forms) refuse a bad name before a run exists.
DatasetName = Annotated[
    str,
    AfterValidator(check_dataset_name),
    Field(json_schema_extra={"pattern": DATASET_NAME.pattern}),
]


def _is_identifier(value: str) -> bool:
    return bool(_IDENTIFIER.fullmatch(value)) and ".." not in value


def check_identifier(kind: str, value: str) -> str:
    """A run id, upload id, report id or user name: no slashes, no dot-dot, no spaces."""
    if not _is_identifier(value):
        raise LakePathError(
            f"{kind} {value!r} is not allowed: use letters, digits, '.', '_' and '-' "
            "(no '..'), at most 128 characters"
        )
    return value


@dataclass(frozen=True)
class LakePaths:
    """Builds lake keys under one root (`s3://bucket` or `file:///folder`)."""

    root: str

    def __post_init__(self) -> None:
        if not self.root.startswith(("s3://", "file://")):
            raise LakePathError(f"lake root must start with s3:// or file://, got {self.root!r}")
        object.__setattr__(self, "root", self.root.rstrip("/"))

    def uri(self, key: str) -> str:
        return f"{self.root}/{key}"

    def upload_key(self, user: str, upload_id: str, extension: str) -> str:
        if extension not in UPLOAD_EXTENSIONS:
            allowed = ", ".join(sorted(UPLOAD_EXTENSIONS))
            raise LakePathError(f"upload type {extension!r} is not one of {allowed}")
        user = check_identifier("user name", user)
        upload_id = check_identifier("upload id", upload_id)
        return f"{UPLOADS_PREFIX}{user}/{upload_id}/data.{extension}"

    def notebook_upload_key(self, user: str, upload_id: str) -> str:
        user = check_identifier("user name", user)
        upload_id = check_identifier("upload id", upload_id)
        return f"{UPLOADS_PREFIX}{user}/{upload_id}/{NOTEBOOK_UPLOAD_FILE}"

    @staticmethod
    def upload_owner(key: str) -> str | None:
        """The user whose upload folder holds `key` (`raw/uploads/{user}/…`), or None for a key
        outside every upload folder or with a `..` that could climb out of one. Keys are relative
        to the root, so this needs none: the gateway asks it without a lake client."""
        if not key.startswith(UPLOADS_PREFIX) or ".." in key:
            return None
        owner, slash, _ = key.removeprefix(UPLOADS_PREFIX).partition("/")
        return owner if owner and slash else None

    def datasets_prefix(self) -> str:
        return f"{PROCESSED_ZONE}/flows"

    def dataset_prefix(self, dataset: str) -> str:
        return f"{self.datasets_prefix()}/{check_dataset_name(dataset)}"

    def run_prefix(self, dataset: str, run_id: str) -> str:
        return f"{self.dataset_prefix(dataset)}/{check_identifier('run id', run_id)}"

    def run_data_key(self, dataset: str, run_id: str) -> str:
        return f"{self.run_prefix(dataset, run_id)}/{DATA_FILE}"

    def run_metadata_key(self, dataset: str, run_id: str) -> str:
        return f"{self.run_prefix(dataset, run_id)}/{METADATA_FILE}"

    def run_success_key(self, dataset: str, run_id: str) -> str:
        return f"{self.run_prefix(dataset, run_id)}/{SUCCESS_MARKER}"

    def publications_prefix(self, dataset: str) -> str:
        """Where a dataset's publication entries are: one empty object per publish, named so
        that the newest lists first (`publication_key`); `latest_run` reads the first few."""
        return f"{PROCESSED_ZONE}/published/{check_dataset_name(dataset)}"

    def publication_key(self, dataset: str, run_id: str, published_at: datetime) -> str:
        micros = (published_at - _EPOCH) // timedelta(microseconds=1)
        newest_first = _NEWEST_FIRST_BASE - micros
        run_id = check_identifier("run id", run_id)
        return f"{self.publications_prefix(dataset)}/{newest_first:017d}-{run_id}"

    def changes_prefix(self) -> str:
        """Where each dataset's change marker is (`change_marker_key`): one LIST of this prefix
        tells a reader which datasets' latest run may have changed since it last looked."""
        return f"{PROCESSED_ZONE}/changes"

    def change_marker_key(self, dataset: str) -> str:
        """Rewritten after every change to which run is a dataset's latest (a publish's
        _SUCCESS, a retry hiding its run's): its ETag changes with each."""
        return f"{self.changes_prefix()}/{check_dataset_name(dataset)}"

    def run_index_prefix(self, run_id: str) -> str:
        """Where a run's index lists the datasets it publishes (one empty object each), so its
        output is found without listing every dataset."""
        return f"{PROCESSED_ZONE}/runs/{check_identifier('run id', run_id)}"

    def run_index_key(self, run_id: str, dataset: str) -> str:
        return f"{self.run_index_prefix(run_id)}/{check_dataset_name(dataset)}"

    def reports_prefix(self) -> str:
        return f"{RESULTS_ZONE}/reports"

    def report_prefix(self, report_id: str) -> str:
        return f"{self.reports_prefix()}/{check_identifier('report id', report_id)}"

    def report_key(self, report_id: str, name: str) -> str:
        """One file of a notebook report: report.ipynb, report.html, metadata.json or _SUCCESS."""
        if name not in REPORT_FILES:
            raise LakePathError(
                f"{name!r} is not a report file ({', '.join(sorted(REPORT_FILES))})"
            )
        return f"{self.report_prefix(report_id)}/{name}"

    def report_of(self, key: str) -> str | None:
        """The report (run) id whose executed notebook `key` is
        (`results/reports/{id}/report.ipynb`), or None for any other key."""
        prefix = self.reports_prefix() + "/"
        report_id, slash, name = key.removeprefix(prefix).partition("/")
        if not key.startswith(prefix) or not slash or name != REPORT_NOTEBOOK_FILE:
            return None
        return report_id if _is_identifier(report_id) else None

    def key_of(self, uri: str) -> str | None:
        """The key of a URI under this root (`s3://bucket/root/a/b` → `a/b`), or None."""
        prefix = self.root + "/"
        return uri[len(prefix) :] if uri.startswith(prefix) and len(uri) > len(prefix) else None


def parse_publication(name: str) -> tuple[str, datetime] | None:
    """The run id and publish time a publication entry's name holds (`LakePaths.publication_key`),
    or None for a name that is not one."""
    match = _PUBLICATION.fullmatch(name)
    if match is None or not _is_identifier(match[2]):
        return None
    micros = _NEWEST_FIRST_BASE - int(match[1])
    return match[2], _EPOCH + timedelta(microseconds=micros)
