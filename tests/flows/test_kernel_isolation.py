"""A notebook run's kernel holds none of the stack's secrets and acts with its owner's token
(issue 22): run through the gateway and the real runner, as an analyst."""

from __future__ import annotations

import json

import httpx
import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from lakebook.lake.reports import ReportPublisher
from lakebook.lake.store import LakeStore
from tests.gateway.test_flows_api import wait_for_state
from tests.utils.services import FlowStack

# Prints what a curious analyst would look for, then who the gateway says the kernel is.
ATTACK = """\
import json, os
import httpx
print("ENV", json.dumps(dict(os.environ)))
token = os.environ.get("LAKEBOOK_TOKEN")
print("HAS_TOKEN", token is not None)
if token:
    headers = {"Authorization": f"Bearer {token}"}
    base = os.environ["LAKEBOOK_GATEWAY_URL"].rstrip("/") + "/api/v1"
    me = httpx.get(base + "/auth/me", headers=headers).json()
    print("ME", json.dumps({"name": me["name"], "role": me["role"]}))
    other = httpx.get(base + "/flows/runs/" + OTHER_RUN, headers=headers)
    print("OTHER_RUN_STATUS", other.status_code)
"""


def run_as(stack: FlowStack, headers: dict[str, str], notebook: str, **parameters: str) -> str:
    launched = httpx.post(
        stack.gateway.api("/flows/run_notebook/execute"),
        json={"parameters": {"notebook": notebook, "parameters": parameters}},
        headers=headers,
    )
    assert launched.status_code == 202, launched.text
    run_id: str = launched.json()["run_id"]
    state = wait_for_state(stack, headers, run_id, timeout=180)
    run = httpx.get(stack.gateway.api(f"/flows/runs/{run_id}/logs"), headers=headers).text
    assert state == "COMPLETED", run
    return run_id


def printed(stack: FlowStack, run_id: str) -> dict[str, str]:
    """The lines the notebook printed, by their first word, from the published report."""
    reports = ReportPublisher(LakeStore.from_settings(stack.gateway.settings))
    executed = nbformat.reads(
        reports.store.read_bytes(reports.paths.report_key(run_id, "report.ipynb")).decode(), 4
    )
    lines = {}
    for cell in executed.cells:
        for output in cell.get("outputs", []):
            for line in output.get("text", "").splitlines():
                key, _, value = line.partition(" ")
                lines[key] = value
    return lines


def test_the_kernel_has_no_stack_secrets_and_acts_as_the_runs_owner(
    flow_stack: FlowStack,
) -> None:
    settings = flow_stack.gateway.settings
    assert settings.flows.notebook_dir is not None
    notebook = new_notebook(
        cells=[
            new_code_cell('OTHER_RUN = ""', metadata={"tags": ["parameters"]}),
            new_code_cell(ATTACK),
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.write(notebook, settings.flows.notebook_dir / "attack.ipynb")
    somebody_else = flow_stack.login("analyst")
    theirs = run_as(flow_stack, somebody_else, "attack.ipynb")
    analyst = flow_stack.login("analyst")
    me = httpx.get(flow_stack.gateway.api("/auth/me"), headers=analyst).json()["name"]

    run_id = run_as(flow_stack, analyst, "attack.ipynb", OTHER_RUN=theirs)

    lines = printed(flow_stack, run_id)
    env = json.loads(lines["ENV"])
    reports = ReportPublisher(LakeStore.from_settings(settings))
    html = reports.store.read_bytes(reports.paths.report_key(run_id, "report.html"))
    stack_secrets = [
        settings.require_secret("s3_access_key_id"),
        settings.require_secret("s3_secret_access_key"),
    ]
    for secret in stack_secrets:
        assert secret not in lines["ENV"]
        assert secret.encode() not in html
    assert not [name for name in env if name.startswith(("PREFECT_", "LAKEBOOK_JWT", "AWS_"))]
    assert "LAKEBOOK_S3_SECRET_ACCESS_KEY" not in env
    assert env["LAKEBOOK_GATEWAY_URL"] == settings.gateway.base_url
    # The owner's own token, with the owner's stored role, and no more rights than theirs.
    assert json.loads(lines["ME"]) == {"name": me, "role": "analyst"}
    assert lines["OTHER_RUN_STATUS"] in {"403", "404"}
