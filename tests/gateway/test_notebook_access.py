"""Notebooks by the lake's rules (issue 22, item 4), over HTTP against the real stack: notebook
uploads are their own type, validated by nbformat; a `notebook` lake key is a plain key that the
caller may read, refused before any run or schedule exists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import nbformat
import pytest

from tests.utils.services import FlowStack
from tests.utils.waiting import wait_until


@dataclass(frozen=True)
class Person:
    name: str
    headers: dict[str, str]


def person(stack: FlowStack, role: str) -> Person:
    headers = stack.login(role)
    name = httpx.get(stack.gateway.api("/auth/me"), headers=headers).json()["name"]
    return Person(name, headers)


@pytest.fixture
def ana(flow_stack: FlowStack) -> Person:
    return person(flow_stack, "analyst")


@pytest.fixture
def bo(flow_stack: FlowStack) -> Person:
    return person(flow_stack, "analyst")


def greeting_notebook() -> str:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell('who = "world"', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell('print(f"hello {who}")'),
    ]
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return str(nbformat.writes(notebook))


def upload(stack: FlowStack, who: Person, filename: str, content: bytes) -> httpx.Response:
    return httpx.post(
        stack.gateway.api("/lake/uploads"),
        files={"file": (filename, content, "application/octet-stream")},
        headers=who.headers,
        timeout=60,
    )


def launch(stack: FlowStack, caller: Person, notebook: str, **parameters: Any) -> httpx.Response:
    body = {"parameters": {"notebook": notebook, "parameters": parameters}}
    url = stack.gateway.api("/flows/run_notebook/execute")
    return httpx.post(url, json=body, headers=caller.headers, timeout=60)


def schedule(stack: FlowStack, who: Person, notebook: str, name: str) -> httpx.Response:
    body = {"notebook": notebook, "cron": "0 6 * * *", "name": name}
    return httpx.post(
        stack.gateway.api("/notebooks/schedules"), json=body, headers=who.headers, timeout=60
    )


def unschedule(stack: FlowStack, who: Person, schedule_id: str) -> None:
    url = stack.gateway.api(f"/notebooks/schedules/{schedule_id}")
    httpx.delete(url, headers=who.headers, timeout=60)


def runs_of(stack: FlowStack, who: Person) -> list[Any]:
    runs: list[Any] = httpx.get(stack.gateway.api("/flows/runs"), headers=who.headers).json()
    return runs


def test_notebook_uploads_are_their_own_type_validated_whole(
    flow_stack: FlowStack, ana: Person
) -> None:
    text = greeting_notebook()
    stored = upload(flow_stack, ana, "greet.ipynb", text.encode())
    assert stored.status_code == 201, stored.text
    answer = stored.json()
    assert answer["format"] == "ipynb"
    assert answer["key"] == f"raw/uploads/{ana.name}/{answer['upload_id']}/notebook.ipynb"
    assert answer["bytes"] == len(text.encode())

    one_line = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n'
    refusals = {
        # A one-line notebook is one JSON object per line: it used to be taken as JSON lines.
        ("smuggled.jsonl", one_line): "content is a Jupyter notebook, not the .jsonl data",
        ("smuggled.json", one_line): "content is a Jupyter notebook, not the .json data",
        ("pretty.jsonl", text.encode()): "content is a Jupyter notebook",
        ("bad.ipynb", b'{"cells": [{"cell_type": "spell"}], "nbformat": 4}'): (
            "content is not a valid notebook"
        ),
        ("broken.ipynb", b'{"cells": [ '): "content is not a valid notebook",
        ("data.ipynb", b"a,b\n1,2\n"): "file name says .ipynb but the content looks like csv",
    }
    for (filename, content), words in refusals.items():
        refused = upload(flow_stack, ana, filename, content)
        assert refused.status_code == 415, (filename, refused.text)
        assert words in refused.json()["detail"], (filename, refused.text)
    # JSON lines are still JSON lines.
    rows = upload(flow_stack, ana, "rows.jsonl", b'{"cells": 3, "name": "x"}\n')
    assert rows.status_code == 201, rows.text
    assert rows.json()["format"] == "json"


def test_a_notebook_upload_runs_for_its_owner_and_admins_and_is_404_for_others(
    flow_stack: FlowStack, ana: Person, bo: Person
) -> None:
    key = upload(flow_stack, ana, "greet.ipynb", greeting_notebook().encode()).json()["key"]
    uri = f"{flow_stack.gateway.settings.s3.lake_root}/{key}"
    for notebook in (key, uri):
        refused = launch(flow_stack, bo, notebook, who="bo")
        assert refused.status_code == 404, refused.text
        assert refused.json()["detail"].startswith(f"no notebook {notebook!r} (parameter notebook)")
        assert f"raw/uploads/{bo.name}/" in refused.json()["detail"]
        not_scheduled = schedule(flow_stack, bo, notebook, "stolen")
        assert not_scheduled.status_code == 404, not_scheduled.text
    assert runs_of(flow_stack, bo) == []
    assert (
        httpx.get(flow_stack.gateway.api("/notebooks/schedules"), headers=bo.headers).json() == []
    )

    admin = person(flow_stack, "admin")
    by_admin = schedule(flow_stack, admin, key, "anas-greeting")
    try:
        assert by_admin.status_code == 201, by_admin.text
    finally:
        unschedule(flow_stack, admin, "anas-greeting")

    launched = launch(flow_stack, ana, key, who="ana")
    assert launched.status_code == 202, launched.text
    run_id = launched.json()["run_id"]
    run_url = flow_stack.gateway.api(f"/flows/runs/{run_id}")

    def ended() -> str | None:
        state: str = httpx.get(run_url, headers=ana.headers).json()["state"]
        return state if state in {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"} else None

    state = wait_until(ended, awaiting=f"notebook run {run_id}", timeout=240, interval=1)
    logs = httpx.get(f"{run_url}/logs", headers=ana.headers).json()
    assert state == "COMPLETED", [line["message"] for line in logs]
    # The executed notebook of one's own run is one's own to run again; not someone else's.
    report = f"results/reports/{run_id}/report.ipynb"
    again = schedule(flow_stack, ana, report, "again")
    try:
        assert again.status_code == 201, again.text
    finally:
        unschedule(flow_stack, ana, "again")
    theirs = launch(flow_stack, bo, report, who="bo")
    assert theirs.status_code == 404, theirs.text
    assert runs_of(flow_stack, bo) == []


@pytest.mark.parametrize(
    ("suffix", "found"),
    [("?x.ipynb", "'?'"), ("#x.ipynb", "'#'"), ("\x07x.ipynb", "'\\x07'")],
)
def test_a_lake_key_with_a_query_fragment_or_control_character_is_422(
    flow_stack: FlowStack, ana: Person, suffix: str, found: str
) -> None:
    # The smuggling of issue 22: s3fs reads `data.json?x.ipynb` as the JSON lines file.
    key = upload(flow_stack, ana, "rows.jsonl", b'{"a": 1}\n').json()["key"]
    notebook = key + suffix
    launched = launch(flow_stack, ana, notebook)
    assert launched.status_code == 422, launched.text
    [error] = launched.json()["detail"]
    assert error["loc"] == ["body", "parameters", "notebook"]
    assert (
        "a lake key is a plain path, without a query, fragment or control characters"
        in (error["msg"])
    )
    assert f"(found {found})" in error["msg"]
    scheduled = schedule(flow_stack, ana, notebook, "smuggled")
    assert scheduled.status_code == 422, scheduled.text
    [error] = scheduled.json()["detail"]
    assert error["loc"] == ["body", "notebook"]
    assert runs_of(flow_stack, ana) == []


def test_a_lake_key_outside_every_users_folder_is_for_admins_only(
    flow_stack: FlowStack, ana: Person
) -> None:
    refused = launch(flow_stack, ana, "raw/notebooks/shared.ipynb")
    assert refused.status_code == 404, refused.text
    assert "no notebook 'raw/notebooks/shared.ipynb'" in refused.json()["detail"]
    report = launch(flow_stack, ana, "results/reports/no-such-run/report.ipynb")
    assert report.status_code == 404, report.text
    # An admin gets past the owner check to the usual one: the notebook is not there.
    admin = person(flow_stack, "admin")
    missing = launch(flow_stack, admin, "raw/notebooks/shared.ipynb")
    assert missing.status_code == 422, missing.text
    assert "cannot read the lake notebook" in missing.json()["detail"][0]["msg"]
