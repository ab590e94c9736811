"""The server extension's proxies (runs, lake, schedules, notebook parameters) in a real Jupyter
server, calling the real flow stack's gateway as an analyst."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import nbformat
import pytest

from lakebook.common.api import RunOut
from tests.utils.lab_server import LabServer, running_lab_server
from tests.utils.ports import HOST, free_port
from tests.utils.services import FlowStack

CSV = b"Region,Amount\nnorth,10\nsouth,20\nnorth,5\n"
PARAMETERS_CELL = 'rows: int = 3  # how many rows\nlabel = "north"\n'
MISSING_RUN = "00000000-0000-4000-8000-000000000000"


@pytest.fixture(scope="module")
def lab(flow_stack: FlowStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """Lab's root is the folder above the workspace, so a notebook can be outside the
    workspace the runner runs notebooks from."""
    workspace = flow_stack.gateway.settings.flows.notebook_dir
    assert workspace is not None
    token = flow_stack.login("analyst")["Authorization"].removeprefix("Bearer ")
    env = {
        "LAKEBOOK_GATEWAY_URL": flow_stack.gateway.url,
        "LAKEBOOK_TOKEN": token,
        "LAKEBOOK_NOTEBOOK_DIR": str(workspace),
    }
    with running_lab_server(workspace.parent, tmp_path_factory.mktemp("lab-data"), env) as lab:
        yield lab


@pytest.fixture(scope="module")
def lab_without_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    root = tmp_path_factory.mktemp("lab-down")
    env = {"LAKEBOOK_GATEWAY_URL": f"http://{HOST}:{free_port()}", "LAKEBOOK_TOKEN": "unchecked"}
    with running_lab_server(root, root, env) as lab:
        yield lab


@pytest.fixture
def client(lab: LabServer) -> Iterator[httpx.Client]:
    with lab.client() as client:
        yield client


def launch_ping(client: httpx.Client, wait_seconds: float = 0) -> str:
    parameters = {"message": "hello lab", "wait_seconds": wait_seconds}
    response = client.post("flows/ping/execute", json={"parameters": parameters}, timeout=60)
    assert response.status_code == 202, response.text
    run_id: str = response.json()["run_id"]
    return run_id


def wait_until_ended(client: httpx.Client, run_id: str, timeout: float = 90) -> RunOut:
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"runs/{run_id}")
        if response.status_code != 502:  # Prefect stalling for a moment is waited out
            assert response.status_code == 200, response.text
            run = RunOut.model_validate(response.json())
            if run.finished:
                return run
        assert time.monotonic() < deadline, f"run {run_id} did not end in {timeout} s"
        time.sleep(0.5)


def log_messages(client: httpx.Client, run_id: str) -> list[str]:
    response = client.get(f"runs/{run_id}/logs")
    assert response.status_code == 200, response.text
    return [line["message"] for line in response.json()]


def field_names(response: httpx.Response) -> list[str]:
    return [field["field"] for field in response.json()["fields"]]


def test_a_run_seen_through_the_lab(client: httpx.Client) -> None:
    run_id = launch_ping(client)
    run = wait_until_ended(client, run_id)
    assert (run.state, run.flow_name) == ("COMPLETED", "ping")

    listed = client.get("runs", params={"flow": "ping", "limit": 5})
    assert listed.status_code == 200, listed.text
    assert run_id in [item["run_id"] for item in listed.json()]
    assert set(listed.json()[0]) == set(RunOut.model_fields)
    assert client.get("runs", params={"flow": "transform_dataset"}).json() == []

    states = client.get(f"runs/{run_id}/states").json()
    assert [state["state"] for state in states][-1] == "COMPLETED"
    assert "RUNNING" in [state["state"] for state in states]
    assert set(states[0]) == {"state", "name", "timestamp", "message"}

    deadline = time.monotonic() + 30  # log lines reach Prefect a moment after the run
    while "ping: hello lab" not in log_messages(client, run_id):
        assert time.monotonic() < deadline, "the run's log line never arrived"
        time.sleep(0.5)
    assert client.get(f"runs/{run_id}/logs", params={"offset": 1000}).json() == []

    ended = client.post(f"runs/{run_id}/cancel")
    assert ended.status_code == 409
    assert "already ended" in ended.json()["message"]
    nothing = client.get(f"runs/{run_id}/result")
    assert nothing.status_code == 404
    assert "no published result" in nothing.json()["message"]
    assert client.get(f"runs/{MISSING_RUN}").status_code == 404


def test_a_failed_runs_states_say_why(client: httpx.Client, flow_stack: FlowStack) -> None:
    workspace = flow_stack.gateway.settings.flows.notebook_dir
    assert workspace is not None
    name = f"lab_fails_{secrets.token_hex(3)}.ipynb"
    # No kernelspec: the run fails at once, before any kernel starts.
    nbformat.write(nbformat.v4.new_notebook(), workspace / name)
    launched = client.post(
        "flows/run_notebook/execute", json={"parameters": {"notebook": name}}, timeout=60
    )
    assert launched.status_code == 202, launched.text
    run_id = launched.json()["run_id"]
    assert wait_until_ended(client, run_id, timeout=180).state == "FAILED"
    last = client.get(f"runs/{run_id}/states").json()[-1]
    assert last["state"] == "FAILED"
    assert "the notebook names no kernel" in last["message"], last


def test_a_notebook_runs_report_and_its_files(client: httpx.Client, flow_stack: FlowStack) -> None:
    workspace = flow_stack.gateway.settings.flows.notebook_dir
    assert workspace is not None
    name = f"lab_report_{secrets.token_hex(3)}.ipynb"
    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cells = [nbformat.v4.new_code_cell("print('report from', 'the lab')")]
    nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": kernelspec}),
                   workspace / name)  # fmt: skip
    launched = client.post(
        "flows/run_notebook/execute", json={"parameters": {"notebook": name}}, timeout=60
    )
    assert launched.status_code == 202, launched.text
    run_id = launched.json()["run_id"]
    assert wait_until_ended(client, run_id, timeout=180).state == "COMPLETED"

    report = client.get(f"runs/{run_id}/report")
    assert report.status_code == 200, report.text
    assert (report.json()["status"], report.json()["notebook"]) == ("completed", name)
    html = client.get(f"runs/{run_id}/report/html")
    assert html.status_code == 200, html.text
    assert "report from the lab" in html.text
    # The user's output runs nothing in the browser: a sandbox without scripts or origin.
    policy = html.headers["content-security-policy"]
    assert policy.startswith("sandbox;"), policy
    assert "allow-" not in policy
    assert html.headers["content-type"].startswith("text/html")
    executed = nbformat.reads(client.get(f"runs/{run_id}/report/notebook").text, as_version=4)
    assert "report from the lab" in str(executed.cells[0].outputs)
    assert client.get(f"runs/{run_id}/report/pdf").status_code == 404
    missing = client.get(f"runs/{MISSING_RUN}/report/html")
    assert missing.status_code == 404
    assert missing.json()["message"] == f"no run {MISSING_RUN!r}"


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("runs", {"limit": "0"}, "limit"),
        ("runs", {"limit": "many"}, "limit"),
        ("runs", {"offset": "-1"}, "offset"),
        ("runs", {"flow": "x" * 65}, "flow"),
        (f"runs/{MISSING_RUN}/logs", {"limit": "201"}, "limit"),
        (f"runs/{MISSING_RUN}/result", {"rows": "all"}, "rows"),
        ("notebook-parameters", {}, "path"),
    ],
)
def test_bad_query_parameters_are_named(
    client: httpx.Client, path: str, query: dict[str, str], field: str
) -> None:
    response = client.get(path, params=query)
    assert response.status_code == 422, response.text
    assert field_names(response) == [field]


def test_upload_ingest_and_the_catalog(client: httpx.Client) -> None:
    uploaded = client.post("lake/uploads", files={"file": ("sales.csv", CSV, "text/csv")})
    assert uploaded.status_code == 201, uploaded.text
    key = uploaded.json()["key"]
    assert (uploaded.json()["format"], uploaded.json()["bytes"]) == ("csv", len(CSV))

    dataset = f"lab_sales_{secrets.token_hex(3)}"
    launched = client.post(
        "flows/ingest_upload/execute",
        json={"parameters": {"upload_key": key, "dataset": dataset}},
        timeout=60,
    )
    assert launched.status_code == 202, launched.text
    run_id = launched.json()["run_id"]
    assert wait_until_ended(client, run_id).state == "COMPLETED"

    result = client.get(f"runs/{run_id}/result", params={"rows": 1})
    assert result.status_code == 200, result.text
    assert result.json()["dataset"] == dataset
    assert result.json()["preview"] == [{"region": "north", "amount": 10}]
    assert dataset in [item["name"] for item in client.get("lake/datasets").json()]
    detail = client.get(f"lake/datasets/{dataset}")
    assert (detail.json()["latest_run_id"], detail.json()["inputs"]) == (run_id, [key])
    assert client.get("lake/datasets/no_such_dataset").status_code == 404


def test_an_oversize_upload_is_refused_with_the_gateways_words(client: httpx.Client) -> None:
    # The flow stack's gateway takes 1 MB at most.
    big = b"a,b\n" + b"1,2\n" * 300_000
    response = client.post("lake/uploads", files={"file": ("big.csv", big, "text/csv")})
    assert response.status_code == 413, response.text
    assert response.json()["message"] == "upload is larger than the limit of 1000000 bytes"


def test_an_upload_the_gateway_cannot_read_is_its_400(client: httpx.Client) -> None:
    response = client.post("lake/uploads", content=b"x", headers={"Content-Type": "text/csv"})
    assert response.status_code == 400, response.text
    assert "multipart" in response.json()["message"]


def write_notebook(folder: Path, name: str) -> Path:
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(PARAMETERS_CELL, metadata={"tags": ["parameters"]})
    notebook.cells = [cell, nbformat.v4.new_code_cell("print(rows, label)")]
    path = folder / name
    nbformat.write(notebook, path)
    return path


def test_notebook_parameters_and_a_schedule_of_it(
    client: httpx.Client, flow_stack: FlowStack, tmp_path_factory: pytest.TempPathFactory
) -> None:
    workspace = flow_stack.gateway.settings.flows.notebook_dir
    assert workspace is not None
    name = f"lab_params_{secrets.token_hex(3)}.ipynb"
    (workspace / "reports").mkdir(exist_ok=True)
    write_notebook(workspace / "reports", name)

    found = client.get("notebook-parameters", params={"path": f"{workspace.name}/reports/{name}"})
    assert found.status_code == 200, found.text
    assert found.json() == {
        "notebook": f"reports/{name}",
        "parameters": [
            {"name": "rows", "type": "int", "default": "3", "optional": False,
             "help": "how many rows"},
            {"name": "label", "type": "str", "default": '"north"', "optional": False, "help": ""},
        ],
    }  # fmt: skip

    created = client.post(
        "schedules",
        json={"notebook": found.json()["notebook"], "cron": "0 6 * * *", "parameters": {"rows": 5}},
    )
    assert created.status_code == 201, created.text
    schedule = created.json()
    assert (schedule["notebook"], schedule["active"]) == (f"reports/{name}", True)
    assert schedule["id"] in [item["id"] for item in client.get("schedules").json()]
    paused = client.patch(f"schedules/{schedule['id']}", json={"active": False})
    assert (paused.status_code, paused.json()["active"]) == (200, False)
    assert client.delete(f"schedules/{schedule['id']}").status_code == 204
    gone = client.delete(f"schedules/{schedule['id']}")
    assert gone.status_code == 404
    assert "no schedule" in gone.json()["message"]

    outside = tmp_path_factory.mktemp("outside-workspace")
    write_notebook(outside, "stray.ipynb")
    refused = client.get("notebook-parameters", params={"path": f"{outside.name}/stray.ipynb"})
    assert refused.status_code == 400
    assert "outside the workspace folder" in refused.json()["message"]


def test_notebook_parameters_of_what_is_not_a_notebook(client: httpx.Client) -> None:
    not_notebook = client.get("notebook-parameters", params={"path": "notes.txt"})
    assert not_notebook.status_code == 400
    assert field_names(not_notebook) == ["path"]
    missing = client.get("notebook-parameters", params={"path": "no/such.ipynb"})
    assert missing.status_code == 404
    escaping = client.get("notebook-parameters", params={"path": "../../etc/x.ipynb"})
    assert escaping.status_code in (400, 404)  # Jupyter's own refusal of a path outside its root


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"cron": "0 6 * * *"}, ["notebook"]),
        ({"notebook": "a.ipynb", "cron": 6, "timeout_seconds": 0}, ["cron", "timeout_seconds"]),
    ],
)
def test_bad_schedule_bodies_are_named(
    client: httpx.Client, body: dict[str, object], fields: list[str]
) -> None:
    response = client.post("schedules", json=body)
    assert response.status_code == 422, response.text
    assert field_names(response) == fields


def test_a_bad_schedule_change_is_named(client: httpx.Client) -> None:
    response = client.patch("schedules/any", json={"active": "sometimes"})
    assert response.status_code == 422
    assert field_names(response) == ["active"]


# Every route, with a body it accepts: refused without Jupyter's token, 502 without a gateway.
ROUTES = [
    ("GET", "runs", None),
    ("GET", f"runs/{MISSING_RUN}", None),
    ("GET", f"runs/{MISSING_RUN}/states", None),
    ("GET", f"runs/{MISSING_RUN}/logs", None),
    ("POST", f"runs/{MISSING_RUN}/cancel", None),
    ("GET", f"runs/{MISSING_RUN}/result", None),
    ("GET", f"runs/{MISSING_RUN}/events", None),
    ("GET", f"runs/{MISSING_RUN}/report", None),
    ("GET", f"runs/{MISSING_RUN}/report/html", None),
    ("GET", f"runs/{MISSING_RUN}/report/notebook", None),
    ("GET", "lake/datasets", None),
    ("GET", "lake/datasets/sales", None),
    ("GET", "schedules", None),
    ("POST", "schedules", {"notebook": "a.ipynb", "cron": "0 6 * * *"}),
    ("PATCH", "schedules/daily", {"active": False}),
    ("DELETE", "schedules/daily", None),
]


@pytest.mark.parametrize(("method", "path", "body"), [*ROUTES, ("POST", "lake/uploads", None)])
def test_every_route_needs_jupyters_auth(
    lab: LabServer, method: str, path: str, body: object
) -> None:
    with lab.client(signed_in=False) as stranger:
        response = stranger.request(method, path, json=body)
    assert response.status_code == 403
    assert set(response.json()) == {"code", "message"}


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_a_gateway_that_is_down_is_a_bad_gateway(
    lab_without_gateway: LabServer, method: str, path: str, body: object
) -> None:
    with lab_without_gateway.client() as client:
        response = client.request(method, path, json=body)
    assert response.status_code == 502, response.text
    assert "cannot reach the lakebook gateway" in response.json()["message"]


def test_an_upload_to_a_gateway_that_is_down_is_a_bad_gateway(
    lab_without_gateway: LabServer,
) -> None:
    with lab_without_gateway.client() as client:
        response = client.post("lake/uploads", files={"file": ("sales.csv", CSV, "text/csv")})
    assert response.status_code == 502, response.text
    assert "cannot reach the lakebook gateway" in response.json()["message"]


def test_notebook_parameters_need_jupyters_auth(lab: LabServer) -> None:
    with lab.client(signed_in=False) as stranger:
        assert stranger.get("notebook-parameters", params={"path": "a.ipynb"}).status_code == 403
