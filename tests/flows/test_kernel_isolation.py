"""A notebook run's kernel holds none of the stack's secrets but the lake's keys (issue 22's item 2
removes those) and acts with its owner's token: run through the gateway and the real runner, as
an analyst."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from lakebook.common.settings import Settings
from lakebook.flows.kernel_env import kernel_environment
from lakebook.gateway.core.security import decode_access_token
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
    # The signing key (an admin token for anyone who has it; the runner holds it) never reaches
    # the kernel, nor the stack's own token; the lake's keys still do, as in Lab, until the
    # gateway grants reads.
    assert b"LAKEBOOK_JWT" not in html
    assert not [name for name in env if name.startswith(("PREFECT_", "LAKEBOOK_JWT", "AWS_"))]
    assert "LAKEBOOK_CREDENTIALS_FILE" not in env
    assert env["LAKEBOOK_S3_SECRET_ACCESS_KEY"] == settings.require_secret("s3_secret_access_key")
    assert env["LAKEBOOK_GATEWAY_URL"] == settings.gateway.base_url
    # The owner's own token, with the owner's stored role, and no more rights than theirs.
    assert json.loads(lines["ME"]) == {"name": me, "role": "analyst"}
    assert lines["OTHER_RUN_STATUS"] in {"403", "404"}


def test_the_environment_is_allow_listed_and_a_run_without_owner_gets_no_token() -> None:
    settings = Settings(
        jwt_secret="s" * 32, s3_bucket="lake", s3_access_key_id="key", s3_secret_access_key="k" * 20
    )
    parent = {
        "PATH": "/usr/bin",
        "LC_ALL": "C.UTF-8",
        "LAKEBOOK_JWT_SECRET": "jwt",
        "LAKEBOOK_S3_SECRET_ACCESS_KEY": "s3",
        "LAKEBOOK_TOKEN": "the stack's admin token",
        "LAKEBOOK_CREDENTIALS_FILE": "/data/credentials.json",
        "PREFECT_API_URL": "http://127.0.0.1:4200/api",
        "AWS_SECRET_ACCESS_KEY": "aws",
    }

    env = kernel_environment(
        settings, owner=None, timeout_seconds=60, temp_dir=Path("/tmp/x"), parent=parent
    )

    assert env == {
        "PATH": "/usr/bin",
        "LC_ALL": "C.UTF-8",
        "TMPDIR": "/tmp/x",
        "LAKEBOOK_GATEWAY_URL": settings.gateway.base_url,
        "LAKEBOOK_S3_ENDPOINT_URL": settings.s3.url,
        "LAKEBOOK_S3_BUCKET": "lake",
        "LAKEBOOK_S3_REGION": settings.s3.region,
        "LAKEBOOK_S3_ACCESS_KEY_ID": "key",
        "LAKEBOOK_S3_SECRET_ACCESS_KEY": "k" * 20,
    }


def test_the_owners_token_lives_the_timeout_plus_a_margin_capped() -> None:
    settings = Settings(jwt_secret="s" * 32)

    def lifetime(timeout_seconds: int) -> timedelta:
        env = kernel_environment(
            settings, owner="ana", timeout_seconds=timeout_seconds, temp_dir=Path("/tmp"), parent={}
        )
        claims = decode_access_token(settings, env["LAKEBOOK_TOKEN"])
        assert claims.subject == "ana"
        return claims.expires_at - datetime.now(UTC)

    assert timedelta(minutes=14) < lifetime(600) <= timedelta(minutes=15)
    assert timedelta(hours=5, minutes=59) < lifetime(24 * 3600) <= timedelta(hours=6)
