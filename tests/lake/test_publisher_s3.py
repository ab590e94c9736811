"""What only a real S3 server shows: refused credentials, permissions, a writer killed mid-way."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import polars as pl
import pytest

from lakebook.lake.publisher import LakePublisher
from lakebook.lake.store import LakeAccessError, LakeNotFoundError, LakeStore
from tests.utils.services import S3Server

FRAME = pl.DataFrame({"id": [1, 2, 3], "name": ["a", "b", "c"]})


def publisher_for(s3: S3Server, tmp_path: Path, **changes: object) -> LakePublisher:
    changes.setdefault("lake_url", f"s3://{s3.settings.s3.bucket}/{tmp_path.name}")
    settings = s3.settings_with(**changes)
    return LakePublisher(LakeStore.from_settings(settings))


def test_wrong_secret_key_is_a_clear_error(s3_server: S3Server, tmp_path: Path) -> None:
    publisher = publisher_for(s3_server, tmp_path, s3_secret_access_key="wrong-secret-0123456789")
    with pytest.raises(
        LakeAccessError, match="refused the credentials.*LAKEBOOK_S3_SECRET_ACCESS_KEY"
    ):
        publisher.publish(FRAME, dataset="people", run_id="r1", flow_name="x")
    with pytest.raises(LakeAccessError, match="refused the credentials"):
        publisher.list_datasets()


def test_key_without_write_permission_writes_nothing(s3_server: S3Server, tmp_path: Path) -> None:
    reader = publisher_for(
        s3_server,
        tmp_path,
        s3_access_key_id=s3_server.readonly_key,
        s3_secret_access_key=s3_server.readonly_secret,
    )
    with pytest.raises(LakeAccessError, match="access denied .*lacks permission"):
        reader.publish(FRAME, dataset="people", run_id="r1", flow_name="x")
    writer = publisher_for(s3_server, tmp_path)
    assert writer.store.find("") == {}


def test_missing_bucket_is_a_clear_error(s3_server: S3Server, tmp_path: Path) -> None:
    publisher = publisher_for(s3_server, tmp_path, lake_url="s3://no-such-bucket")
    with pytest.raises(LakeNotFoundError, match="no-such-bucket"):
        publisher.store.check_bucket()
    with pytest.raises(LakeNotFoundError, match="no-such-bucket"):
        publisher.publish(FRAME, dataset="people", run_id="r1", flow_name="x")


KILLED_WRITER = textwrap.dedent(
    """
    import sys, time
    import polars as pl
    from lakebook.common.settings import Settings
    from lakebook.lake.store import LakeStore
    from lakebook.lake import publisher as publisher_module

    def hang_before_success(self, key, published_at):
        print("metadata-written", flush=True)
        time.sleep(600)  # until the test kills it

    # The writer dies between metadata.json and _SUCCESS: the worst moment.
    publisher_module.LakePublisher._mark_success = hang_before_success
    settings = Settings.model_validate_json(sys.stdin.read())
    store = LakeStore.from_settings(settings)
    frame = pl.DataFrame({"id": list(range(5000))})
    publisher_module.LakePublisher(store).publish(
        frame, dataset="people", run_id="run-killed", flow_name="x"
    )
    """
)


def test_writer_killed_before_success_is_invisible(s3_server: S3Server, tmp_path: Path) -> None:
    publisher = publisher_for(s3_server, tmp_path)
    publisher.publish(FRAME, dataset="people", run_id="run-ok", flow_name="x")
    # model_dump masks secrets, so the writer is handed them explicitly.
    settings = s3_server.settings
    payload = settings.model_dump(mode="json") | {
        "lake_url": publisher.paths.root,
        "s3_access_key_id": settings.require_secret("s3_access_key_id"),
        "s3_secret_access_key": settings.require_secret("s3_secret_access_key"),
    }
    writer = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert writer.stdin is not None
    assert writer.stdout is not None
    writer.stdin.write(json.dumps(payload))
    writer.stdin.close()
    line = writer.stdout.readline()
    assert line.strip() == "metadata-written", "writer did not reach the point before _SUCCESS"
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    writer.stdout.close()

    written = publisher.store.find(publisher.paths.run_prefix("people", "run-killed"))
    assert any(key.endswith("output.parquet") for key in written), "data should have been written"
    assert publisher.latest_run("people").run_id == "run-ok"
    assert [run.run_id for run in publisher.list_runs("people")] == ["run-ok"]
    with pytest.raises(LakeNotFoundError):
        publisher.scan("people", run_id="run-killed")


def test_stores_share_one_warmed_s3_session_that_loads_nothing_more(
    s3_server: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a flow run forked from the runner's warm process gets: a session whose S3 model is
    loaded, so its first lake call parses no botocore data file (~0.2 s each run, otherwise)."""
    import botocore.loaders

    from lakebook.lake import store as lake_store

    monkeypatch.setattr(lake_store, "_s3_session", None)
    lake_store.warm_s3_session()
    warmed = lake_store.s3_session()

    def no_loading(self: object, file_path: str) -> None:
        raise AssertionError(f"botocore loaded {file_path} again")

    monkeypatch.setattr(botocore.loaders.JSONFileLoader, "load_file", no_loading)
    publisher = publisher_for(s3_server, tmp_path)
    assert publisher.store.fs.session is warmed
    publisher.publish(FRAME, dataset="people", run_id="r1", flow_name="x")
    assert [run.run_id for run in publisher.list_runs("people")] == ["r1"]


@pytest.mark.services  # a fresh interpreter: seconds of imports
def test_the_forkserver_warm_up_loads_the_session_without_a_lake() -> None:
    """The runner's forkserver imports it before any lake exists; it must not fail or warn."""
    script = (
        "import logging; logging.basicConfig()\n"
        "import lakebook.flows.forkserver_warmup\n"
        "from lakebook.lake import store as lake_store\n"
        "assert lake_store._s3_session is not None\n"
    )
    warm = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert warm.returncode == 0, warm.stderr
    assert "warm-up failed" not in warm.stderr


def test_only_a_plain_http_endpoint_skips_certificate_loading(
    s3_server: S3Server, tmp_path: Path
) -> None:
    """Nothing to verify on http:// (the embedded SeaweedFS): no CA bundle loaded per client.
    An https:// endpoint keeps botocore's verification."""
    plain = publisher_for(s3_server, tmp_path)
    assert plain.store.fs.client_kwargs["verify"] is False
    plain.publish(FRAME, dataset="people", run_id="r1", flow_name="x")
    secure = LakeStore.from_settings(
        s3_server.settings_with(s3_endpoint_url="https://s3.example.com")
    )
    assert "verify" not in secure.fs.client_kwargs
