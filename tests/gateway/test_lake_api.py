"""Uploads, the dataset catalog and run results over HTTP, on real S3, Prefect and runner."""

from __future__ import annotations

import io
import json
import socket
import time

import httpx
import polars as pl
import pytest

from lakebook.lake.publisher import LakePublisher
from lakebook.lake.store import LakeStore
from tests.gateway.test_flows_api import wait_for_state
from tests.utils.services import FlowStack

CSV = b"Region,Amount\nnorth,10\nsouth,20\nnorth,5\n"


def upload(
    stack: FlowStack, headers: dict[str, str], content: bytes, filename: str
) -> httpx.Response:
    files = {"file": (filename, content, "application/octet-stream")}
    return httpx.post(stack.gateway.api("/lake/uploads"), files=files, headers=headers, timeout=30)


@pytest.fixture(scope="module")
def analyst(flow_stack: FlowStack) -> dict[str, str]:
    return flow_stack.login("analyst")


def test_upload_lands_under_the_users_prefix(
    flow_stack: FlowStack, analyst: dict[str, str]
) -> None:
    me = httpx.get(flow_stack.gateway.api("/auth/me"), headers=analyst).json()["name"]
    response = upload(flow_stack, analyst, CSV, "../../../etc/sales.csv")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["key"] == f"raw/uploads/{me}/{body['upload_id']}/data.csv"
    assert (body["format"], body["bytes"]) == ("csv", len(CSV))


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (CSV, "sales.parquet", "file name says .parquet but the content looks like csv"),
        (b"\x7fELF\x00\x01binary", "tool.csv", "not CSV, JSON lines or Parquet"),
        (b'[{"a": 1}]', "rows.json", "not CSV, JSON lines or Parquet"),
        (CSV, "run.exe", "file type .exe is not accepted"),
    ],
)
def test_uploads_that_are_not_what_they_claim_are_415(
    flow_stack: FlowStack, analyst: dict[str, str], content: bytes, filename: str, message: str
) -> None:
    response = upload(flow_stack, analyst, content, filename)
    assert response.status_code == 415
    assert message in response.json()["detail"]


def uploads_of(stack: FlowStack, headers: dict[str, str]) -> dict[str, object]:
    """Every object under the user's upload prefix, straight from the lake."""
    me = httpx.get(stack.gateway.api("/auth/me"), headers=headers).json()["name"]
    return LakeStore.from_settings(stack.gateway.settings).find(f"raw/uploads/{me}/")


def test_oversize_upload_is_413_and_leaves_nothing(flow_stack: FlowStack) -> None:
    headers = flow_stack.login("analyst")
    big = b"a,b\n" + b"1,2\n" * 400_000  # 1.6 MB against a 1 MB limit
    response = upload(flow_stack, headers, big, "big.csv")
    assert response.status_code == 413
    assert "larger than the limit" in response.json()["detail"]
    assert uploads_of(flow_stack, headers) == {}


def test_a_chunked_upload_is_refused_while_it_is_still_being_sent(flow_stack: FlowStack) -> None:
    """No Content-Length to refuse up front: the gateway counts the body as it streams in and
    answers 413 once it passes the limit, while this client has not finished (and never will);
    a server that first stored the whole body would never answer."""
    headers = flow_stack.login("analyst")
    url = httpx.URL(flow_stack.gateway.api("/lake/uploads"))
    boundary = "lakebook-test-boundary"
    part_head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        'filename="big.csv"\r\nContent-Type: text/csv\r\n\r\na,b\n'
    ).encode()
    request_head = (
        f"POST {url.raw_path.decode()} HTTP/1.1\r\nHost: {url.host}:{url.port}\r\n"
        f"Authorization: {headers['Authorization']}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    ).encode()

    def chunk(data: bytes) -> bytes:
        return f"{len(data):x}\r\n".encode() + data + b"\r\n"

    with socket.create_connection((url.host, url.port), timeout=60) as connection:
        connection.sendall(request_head + chunk(part_head))
        for _ in range(32):  # 32 × 64 KiB = 2 MiB, past the 1 MB limit; the body never ends
            connection.sendall(chunk(b"1,2\n" * 16_384))
        status_line = connection.recv(4096).split(b"\r\n", 1)[0]
    assert status_line == b"HTTP/1.1 413 Request Entity Too Large", status_line
    assert uploads_of(flow_stack, headers) == {}


@pytest.mark.parametrize(
    ("content_type", "content", "message"),
    [
        ("text/csv", b"a,b\n1,2\n", "send the file as multipart/form-data in the field 'file'"),
        (
            "multipart/form-data; boundary=xyz",
            b'--xyz\r\nContent-Disposition: form-data; name="other"\r\n\r\nhi\r\n--xyz--\r\n',
            "the form has no file in the field 'file'",
        ),
        (
            "multipart/form-data; boundary=xyz",
            b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\na,b\n',
            "the body ended in the middle of the file",
        ),
    ],
)
def test_malformed_upload_forms_are_400(
    flow_stack: FlowStack, analyst: dict[str, str], content_type: str, content: bytes, message: str
) -> None:
    response = httpx.post(
        flow_stack.gateway.api("/lake/uploads"),
        content=content,
        headers=analyst | {"Content-Type": content_type},
    )
    assert response.status_code == 400, response.text
    assert response.json()["detail"] == message


def test_viewer_cannot_upload(flow_stack: FlowStack) -> None:
    response = upload(flow_stack, flow_stack.login("viewer"), CSV, "sales.csv")
    assert response.status_code == 403


def test_upload_ingest_result_and_catalog(flow_stack: FlowStack, analyst: dict[str, str]) -> None:
    api = flow_stack.gateway.api
    key = upload(flow_stack, analyst, CSV, "sales.csv").json()["key"]
    launched = httpx.post(
        api("/flows/ingest_upload/execute"),
        json={"parameters": {"upload_key": key, "dataset": "gateway_sales"}},
        headers=analyst,
    )
    assert launched.status_code == 202, launched.text
    run_id = launched.json()["run_id"]
    assert wait_for_state(flow_stack, analyst, run_id, timeout=90) == "COMPLETED"

    result = httpx.get(api(f"/flows/runs/{run_id}/result?rows=2&expires_in=3"), headers=analyst)
    assert result.status_code == 200, result.text
    body = result.json()
    assert body["dataset"] == "gateway_sales"
    assert body["columns"] == {"region": "String", "amount": "Int64"}
    assert body["row_count"] == 3
    assert body["preview"] == [{"region": "north", "amount": 10}, {"region": "south", "amount": 20}]
    downloaded = httpx.get(body["download_url"])
    assert downloaded.status_code == 200
    frame = pl.read_parquet(io.BytesIO(downloaded.content))
    assert frame.to_dict(as_series=False) == {
        "region": ["north", "south", "north"],
        "amount": [10, 20, 5],
    }
    time.sleep(4)  # waits out the URL's 3 s lifetime: expiry is what is tested
    assert httpx.get(body["download_url"]).status_code == 403, "the presigned URL must expire"

    catalog = httpx.get(api("/lake/datasets"), headers=analyst).json()
    assert {"gateway_sales"} <= {d["name"] for d in catalog}
    detail = httpx.get(api("/lake/datasets/gateway_sales"), headers=analyst).json()
    assert detail["latest_run_id"] == run_id
    assert detail["inputs"] == [key]
    assert detail["columns"] == {"region": "String", "amount": "Int64"}

    stranger = flow_stack.login("analyst")
    assert httpx.get(api(f"/flows/runs/{run_id}/result"), headers=stranger).status_code == 404
    stolen = httpx.post(
        api("/flows/ingest_upload/execute"),
        json={"parameters": {"upload_key": key, "dataset": "stolen"}},
        headers=stranger,
    )
    assert stolen.status_code == 404
    assert "no upload" in stolen.json()["detail"]


def test_unknown_datasets_and_results_are_404(
    flow_stack: FlowStack, analyst: dict[str, str]
) -> None:
    api = flow_stack.gateway.api
    assert httpx.get(api("/lake/datasets/no_such_thing"), headers=analyst).status_code == 404
    assert httpx.get(api("/lake/datasets/..%2Fsecrets"), headers=analyst).status_code == 404
    launched = httpx.post(api("/flows/ping/execute"), json={}, headers=analyst, timeout=60)
    ping = launched.json()["run_id"]
    assert wait_for_state(flow_stack, analyst, ping) == "COMPLETED"
    response = httpx.get(api(f"/flows/runs/{ping}/result"), headers=analyst)
    assert response.status_code == 404
    assert "no published result" in response.json()["detail"]


def test_a_users_own_lake_flow_runs_through_the_gateway(
    flow_stack: FlowStack, analyst: dict[str, str]
) -> None:
    """tests/user_flows is the stack's LAKEBOOK_FLOWS_DIR: its flows are listed and launched
    like the built-ins, and what they publish records who launched them."""
    api = flow_stack.gateway.api
    publisher = LakePublisher(LakeStore.from_settings(flow_stack.gateway.settings))
    orders = pl.DataFrame({"order_id": [1, 2, 3], "amount": [20.0, 75.0, 120.0]})
    publisher.publish(orders, dataset="orders", run_id="orders-gw", flow_name="test")

    deployments = {
        d["name"]: d for d in httpx.get(api("/flows/deployments"), headers=analyst).json()
    }
    big_orders = deployments["big_orders"]
    assert big_orders["parameters_schema"]["properties"]["min_amount"]["type"] == "number"
    assert set(big_orders["tags"]) == {"heavy", "lake"}

    launched = httpx.post(
        api("/flows/big_orders/execute"), json={"parameters": {"min_amount": 70}}, headers=analyst
    )
    assert launched.status_code == 202, launched.text
    run_id = launched.json()["run_id"]
    assert wait_for_state(flow_stack, analyst, run_id, timeout=90) == "COMPLETED"

    result = httpx.get(api(f"/flows/runs/{run_id}/result"), headers=analyst).json()
    assert result["dataset"] == "big_orders"
    assert result["row_count"] == 2
    me = httpx.get(api("/auth/me"), headers=analyst).json()["name"]
    assert publisher.read_metadata("big_orders", run_id).user == me


def test_a_dataset_whose_metadata_lakebook_did_not_write_is_named_not_unavailable(
    flow_stack: FlowStack, analyst: dict[str, str]
) -> None:
    """The lake answered: a broken metadata.json is a 500 naming the file and the field, not a
    503 (retrying will not help) nor a bare Internal Server Error."""
    publisher = LakePublisher(LakeStore.from_settings(flow_stack.gateway.settings))
    publisher.publish(pl.DataFrame({"a": [1]}), dataset="foreign", run_id="f-1", flow_name="x")
    key = publisher.paths.run_metadata_key("foreign", "f-1")
    written = json.loads(publisher.store.read_bytes(key))
    publisher.store.write_bytes(key, json.dumps({**written, "row_count": "many"}).encode())

    response = httpx.get(flow_stack.gateway.api("/lake/datasets/foreign"), headers=analyst)
    assert response.status_code == 500, response.text
    assert response.json()["detail"].startswith(
        f"{publisher.paths.uri(key)} is not lakebook's metadata.json: 'row_count': "
    )
