"""Which failures the lake tasks retry."""

from __future__ import annotations

import pytest
from prefect.states import Failed

from lakebook.flows.lake_store import LakeAccessError, LakeError, LakeNotFoundError
from lakebook.flows.lake_tasks import retry_transient_lake_errors
from lakebook.flows.upload_formats import UploadError


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (LakeError("S3 timed out"), True),
        (OSError("connection reset"), True),
        (LakeNotFoundError("no such dataset"), False),
        (LakeAccessError("key refused"), False),
        (UploadError("not Parquet"), False),
    ],
)
def test_only_storage_hiccups_are_retried(error: Exception, retried: bool) -> None:
    state = Failed(data=error)
    assert retry_transient_lake_errors(None, None, state) is retried  # type: ignore[arg-type]
