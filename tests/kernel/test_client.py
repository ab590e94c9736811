"""The kernel's gateway client over HTTP against a real gateway, Prefect server and runner."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import nbformat
import polars as pl
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from lakebook.common.settings import Settings
from lakebook.gateway.core.security import create_access_token
from lakebook.kernel import LakebookClient, Run, connect
from lakebook.kernel.credentials import TOKEN_VARIABLE
from lakebook.kernel.errors import (
    LakebookAuthError,
    LakebookConflict,
    LakebookConnectionError,
    LakebookCredentialsError,
    LakebookError,
    LakebookNotFound,
    LakebookPermissionError,
    LakebookRateLimited,
    LakebookTimeout,
    LakebookUnavailable,
    LakebookValidationError,
)
from lakebook.kernel.gateway_http import error_from_response
from lakebook.kernel.widgets import ResultTable
from lakebook.lake.publisher import LakePublisher
from tests.utils.gateway_clients import token_for, wait_until_running
from tests.utils.ports import free_port
from tests.utils.services import FlowStack, Gateway


def test_connect_with_a_token_says_who_i_am(flow_stack: FlowStack) -> None:
    token = token_for(flow_stack, "viewer")
    with connect(flow_stack.gateway.url, token, settings=flow_stack.gateway.settings) as lb:
        me = lb.me()
    assert me.role == "viewer"
    assert me.name.startswith("user")
    assert me.token_expires_at > datetime.now(UTC)


def test_flows_lists_ping_with_its_parameter_schema(analyst: LakebookClient) -> None:
    ping = {flow.name: flow for flow in analyst.flows()}["ping"]
    properties = ping.parameters_schema["properties"]
    assert properties["message"]["type"] == "string"
    assert properties["wait_seconds"]["maximum"] == 600


def logs_mention(run: Run, text: str, timeout: float = 15) -> bool:
    """Prefect ships logs in batches, so the last lines may land just after the run ends."""
    deadline = time.monotonic() + timeout
    while not any(text in line.message for line in run.logs()):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.3)
    return True


def test_run_waits_to_completion_and_logs_its_message(analyst: LakebookClient) -> None:
    run = analyst.run("ping", message="hello from the kernel")
    assert isinstance(run, Run)
    assert run.wait(timeout=60) == "COMPLETED"
    assert run.state == "COMPLETED"
    assert logs_mention(run, "ping: hello from the kernel")
    info = run.info()
    assert info.parameters == {"message": "hello from the kernel"}
    assert info.end_time is not None
    assert [listed.id for listed in analyst.runs(flow="ping")] == [run.id]
    assert analyst.get_run(run.id).flow_name == "ping"


def test_an_idempotency_key_launches_once(analyst: LakebookClient) -> None:
    first = analyst.launch("ping", {"message": "once"}, idempotency_key="kernel-once")
    again = analyst.launch("ping", {"message": "once"}, idempotency_key="kernel-once")
    assert again.id == first.id


def test_events_stream_ends_with_completed(analyst: LakebookClient) -> None:
    run = analyst.run("ping", message="events-from-kernel", wait_seconds=1)
    events = list(run.events())
    assert events[-1].kind == "end"
    assert events[-1].data == {"state": "COMPLETED"}
    states = [event.data["state"] for event in events if event.kind == "state"]
    assert states[-1] == "COMPLETED"
    assert "RUNNING" in states
    logs = [event.data["message"] for event in events if event.kind == "log"]
    assert any("ping: events-from-kernel" in message for message in logs), logs


def test_a_long_run_times_out_then_cancels(analyst: LakebookClient) -> None:
    run = analyst.run("ping", wait_seconds=120)
    wait_until_running(run)
    with pytest.raises(LakebookTimeout, match=f"run {run.id} of ping is still RUNNING"):
        run.wait(timeout=0.5, poll=0.1)
    run.cancel()
    assert run.wait(timeout=60) == "CANCELLED"
    with pytest.raises(LakebookConflict, match="already ended"):
        run.cancel()


def test_async_launch_wait_and_events(analyst: LakebookClient) -> None:
    async def launch_and_follow() -> tuple[str, list[str]]:
        run = await analyst.arun("ping", message="async")
        kinds = [event.kind async for event in run.aevents()]
        return await run.await_completion(timeout=30), kinds

    final, kinds = asyncio.run(launch_and_follow())
    assert final == "COMPLETED"
    assert kinds[-1] == "end"


def test_bad_parameters_name_the_field(analyst: LakebookClient) -> None:
    with pytest.raises(LakebookValidationError) as wrong_type:
        analyst.run("ping", message=5)
    assert list(wrong_type.value.fields) == ["message"]
    assert wrong_type.value.status == 422
    with pytest.raises(LakebookValidationError, match="wait_seconds") as too_long:
        analyst.run("ping", wait_seconds=1000)
    assert list(too_long.value.fields) == ["wait_seconds"]


def test_unknown_flow_and_run_are_not_found(analyst: LakebookClient) -> None:
    with pytest.raises(LakebookNotFound, match="no flow named 'nope'"):
        analyst.run("nope")
    with pytest.raises(LakebookNotFound):  # quoted: cannot climb to another route
        analyst.run("../ping")
    with pytest.raises(LakebookNotFound, match="no run 'not-a-run'"):
        analyst.get_run("not-a-run")


def test_viewers_cannot_launch(client_for: Callable[[str], LakebookClient]) -> None:
    viewer = client_for("viewer")
    with pytest.raises(LakebookPermissionError, match="role 'viewer' cannot launch flows") as info:
        viewer.run("ping")
    assert info.value.status == 403


def test_invalid_token_is_an_auth_error(flow_stack: FlowStack) -> None:
    with (
        LakebookClient(flow_stack.gateway.url, "not-a-jwt") as lb,
        pytest.raises(LakebookAuthError, match="LAKEBOOK_TOKEN") as info,
    ):
        lb.flows()
    assert info.value.status == 401


def test_expired_token_is_an_auth_error(gateway: Gateway) -> None:
    name, _ = gateway.add_user("analyst")
    expired = create_access_token(
        gateway.settings, subject=name, role="analyst", lifetime=timedelta(seconds=-5)
    )
    with LakebookClient(gateway.url, expired) as lb, pytest.raises(LakebookAuthError):
        lb.me()


def test_gateway_down_names_the_url(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with (
        connect(url, "token", settings=Settings(data_dir=tmp_path)) as lb,
        pytest.raises(LakebookConnectionError, match=f"cannot reach the lakebook gateway at {url}"),
    ):
        lb.me()


def write_credentials(data_dir: Path, token: str, url: str, expires_at: datetime) -> Path:
    path = data_dir / "credentials.json"
    document = {"gateway_url": url, "user": "admin", "access_token": token}
    path.write_text(json.dumps(document | {"expires_at": expires_at.isoformat()}))
    path.chmod(0o600)
    return path


def test_connect_reads_the_credential_file_and_the_environment(
    flow_stack: FlowStack,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(TOKEN_VARIABLE, raising=False)
    settings = Settings(data_dir=tmp_path)
    in_an_hour = datetime.now(UTC) + timedelta(hours=1)
    path = write_credentials(
        tmp_path, token_for(flow_stack, "analyst"), flow_stack.gateway.url, in_an_hour
    )
    with connect(settings=settings) as lb:
        assert lb.url == flow_stack.gateway.url
        assert lb.me().role == "analyst"

    monkeypatch.setenv(TOKEN_VARIABLE, token_for(flow_stack, "viewer"))
    with connect(flow_stack.gateway.url, settings=settings) as lb:
        assert lb.me().role == "viewer"
    monkeypatch.delenv(TOKEN_VARIABLE)

    path.chmod(0o644)
    with pytest.raises(LakebookCredentialsError, match="chmod 600"):
        connect(settings=settings)
    write_credentials(tmp_path, "t", flow_stack.gateway.url, datetime.now(UTC) - timedelta(1))
    with pytest.raises(LakebookCredentialsError, match="expired"):
        connect(settings=settings)
    os.remove(path)
    with pytest.raises(LakebookCredentialsError, match="lakebook up"):
        connect(settings=settings)


def test_result_reads_what_the_run_published_through_the_gateway(
    flow_stack: FlowStack, keyless_client: LakebookClient, stack_lake: LakePublisher
) -> None:
    # The client's settings hold no lake keys: everything below comes through the gateway.
    run = keyless_client.run("ping")
    assert run.wait(timeout=60) == "COMPLETED"
    with pytest.raises(LakebookNotFound, match=f"run '{run.id}' has no published result"):
        run.result()
    # ping publishes nothing: publish for it, as a data flow does under its Prefect run id.
    dataset = f"kernel_result_{run.id[:8]}"
    frame = pl.DataFrame({"city": ["Oslo", "Lima"], "visits": [3, 5]})
    stack_lake.publish(frame, dataset=dataset, run_id=run.id, flow_name="ping")
    published = run.published(preview_rows=1)
    assert published.dataset == dataset
    assert published.columns == {"city": "String", "visits": "Int64"}
    assert (published.row_count, published.preview) == (2, [{"city": "Oslo", "visits": 3}])
    assert published.download_url is not None
    assert published.download_url.startswith(flow_stack.gateway.settings.s3.url)
    result = run.result()
    assert isinstance(result, pl.LazyFrame)
    assert result.collect().equals(frame)
    assert result.filter(pl.col("visits") > 4).collect()["city"].to_list() == ["Lima"]
    assert run.result(dataset).collect().equals(frame)
    with pytest.raises(LakebookNotFound, match=f"published dataset '{dataset}', not 'sales'"):
        run.result("sales")
    assert ResultTable(run).page_frame.equals(frame)


def test_report_of_a_notebook_run_and_none_for_a_flow(
    flow_stack: FlowStack, keyless_client: LakebookClient
) -> None:
    workspace = flow_stack.gateway.settings.flows.notebook_dir
    assert workspace is not None
    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cells = [new_code_cell("print('kernel report', 6 * 7)")]
    notebook = new_notebook(cells=cells, metadata={"kernelspec": kernelspec})
    nbformat.write(notebook, workspace / "client_report.ipynb")
    run = keyless_client.run("run_notebook", notebook="client_report.ipynb")
    assert run.wait(timeout=180) == "COMPLETED"
    report = run.report()
    assert (report.run_id, report.status, report.notebook) == (
        run.id,
        "completed",
        "client_report.ipynb",
    )
    assert report.failed_cell is None
    assert report.html_url is not None
    assert "kernel report 42" in httpx.get(report.html_url, timeout=30).text
    ping = keyless_client.run("ping")
    assert ping.wait(timeout=60) == "COMPLETED"
    with pytest.raises(LakebookNotFound, match=f"run '{ping.id}' has no published report"):
        ping.report()


def test_result_of_another_users_run_is_not_found(
    client_for: Callable[[str], LakebookClient], stack_lake: LakePublisher
) -> None:
    owner, stranger = client_for("analyst"), client_for("analyst")
    run = owner.run("ping")
    assert run.wait(timeout=60) == "COMPLETED"
    stack_lake.publish(
        pl.DataFrame({"x": [1]}), dataset="kernel_private", run_id=run.id, flow_name="ping"
    )
    assert run.result().collect()["x"].to_list() == [1]
    with pytest.raises(LakebookNotFound):
        Run(stranger, run.id, "ping").result()


def test_datasets_are_listed_and_described_by_the_gateway(
    keyless_client: LakebookClient, stack_lake: LakePublisher
) -> None:
    name = "kernel_catalog"
    stack_lake.publish(
        pl.DataFrame({"region": ["west"], "amount": [1.5]}),
        dataset=name,
        run_id="catalog-r1",
        flow_name="nightly",
        inputs=["s3://somewhere/raw/a.csv"],
    )
    listed = {info.name: info for info in keyless_client.datasets()}
    assert listed[name].latest_run_id == "catalog-r1"
    assert listed[name].run_count == 1
    detail = keyless_client.dataset(name)
    assert detail.columns == {"region": "String", "amount": "Float64"}
    assert (detail.row_count, detail.flow_name) == (1, "nightly")
    assert detail.inputs == ["s3://somewhere/raw/a.csv"]
    assert [run_id for run_id, _ in detail.runs] == ["catalog-r1"]
    with pytest.raises(LakebookNotFound, match="no dataset 'kernel_nothing'"):
        keyless_client.dataset("kernel_nothing")


@pytest.mark.parametrize(
    ("status", "headers", "error_class"),
    [
        (429, {"Retry-After": "7"}, LakebookRateLimited),
        (503, {}, LakebookUnavailable),
        (500, {}, LakebookError),
    ],
)
def test_other_statuses_map_to_their_errors(
    status: int, headers: dict[str, str], error_class: type[LakebookError]
) -> None:
    # The gateway's throttle only guards sign-in and Prefect cannot be stopped under a shared
    # session stack, so these answers are built here rather than provoked.
    request = httpx.Request("GET", "http://gateway.test/api/v1/flows/deployments")
    answer = httpx.Response(status, json={"detail": "try later"}, headers=headers, request=request)
    error = error_from_response(answer)
    assert type(error) is error_class
    assert error.status == status
    assert "try later (GET /api/v1/flows/deployments" in str(error)
    if isinstance(error, LakebookRateLimited):
        assert error.retry_after == 7.0


def test_upload_a_file_and_frames_then_ingest_one(analyst: LakebookClient, tmp_path: Path) -> None:
    me = analyst.me().name
    csv = tmp_path / "sales.csv"
    csv.write_text("Region,Amount\nnorth,10\nsouth,20\n")
    from_file = analyst.upload(csv)
    assert from_file.key == f"raw/uploads/{me}/{from_file.upload_id}/data.csv"
    assert (from_file.format, from_file.bytes) == ("csv", csv.stat().st_size)

    frame = pl.DataFrame({"region": ["east", "west"], "amount": [5, 7]})
    assert analyst.upload(frame.to_pandas()).format == "parquet"
    from_frame = analyst.upload(frame)
    assert from_frame.format == "parquet"
    run = analyst.run("ingest_upload", upload_key=from_frame.key, dataset="uploaded_frame")
    assert run.wait(timeout=120) == "COMPLETED"
    assert run.result().collect().to_dicts() == frame.to_dicts()


def test_uploads_that_cannot_go_say_why(analyst: LakebookClient, tmp_path: Path) -> None:
    with pytest.raises(LakebookError, match="nope.csv: no such file"):
        analyst.upload(tmp_path / "nope.csv")
    binary = tmp_path / "tool.csv"
    binary.write_bytes(b"\x7fELF\x00\x01binary")
    with pytest.raises(LakebookError, match="not CSV, JSON lines or Parquet"):
        analyst.upload(binary)
    with pytest.raises(LakebookError, match="cannot upload a dict"):
        analyst.upload({"region": "east"})
