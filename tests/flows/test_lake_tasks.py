"""Which failures the lake tasks retry, and the store their tasks share."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from prefect.states import Failed
from pydantic import SecretStr

from lakebook.common.settings import Settings
from lakebook.flows.lake_tasks import retry_transient_lake_errors
from lakebook.flows.upload_formats import UploadError
from lakebook.lake.store import LakeAccessError, LakeError, LakeNotFoundError, LakeStore


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


def s3_settings(tmp_path: Path, secret: str) -> Settings:
    return Settings(
        data_dir=tmp_path,
        s3_access_key_id=SecretStr("LBTEST" + secrets.token_hex(4)),
        s3_secret_access_key=SecretStr(secret),
    )


def test_tasks_of_one_process_share_a_store_per_lake(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An S3 client costs far more to make than a lake call: one per process and lake."""
    settings = s3_settings(tmp_path, secrets.token_urlsafe(24))
    first = LakeStore.shared(settings)
    # Settings read again (each task reads them) give the same store.
    assert LakeStore.shared(settings.model_copy()) is first
    assert LakeStore.shared(settings.with_values(access_token_minutes=5)) is first
    # Another lake or other credentials get their own.
    other_secret = settings.with_values(s3_secret_access_key=SecretStr(secrets.token_urlsafe(24)))
    assert LakeStore.shared(other_secret) is not first
    assert LakeStore.shared(settings.with_values(s3_bucket="other")) is not first
    # A forked child (runs fork from the runner's forkserver) never uses its parent's client.
    monkeypatch.setattr("lakebook.lake.store.os.getpid", lambda: -1)
    assert LakeStore.shared(settings) is not first
