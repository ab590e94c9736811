"""Galata/Playwright tests of the sidebar in Debian's Chromium, against JupyterLab with the
lakebook server extension in front of the real flow stack (Prefect + runner + gateway)."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import jupyterlab
import pytest

from lakebook.cli.stack.services import Service, jupyter_argv
from lakebook.common.settings import Settings
from tests.gateway.test_flows_api import wait_for_state
from tests.utils.ports import HOST, free_port
from tests.utils.services import FlowStack, quiet_supervisor

REPO = Path(__file__).resolve().parents[2]
UI_TESTS = REPO / "extension" / "ui-tests"
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
PLAYWRIGHT_TIMEOUT_SECONDS = 480
SCREENSHOTS = (
    "deployments",
    "run-completed",
    "bad-parameter",
    *(
        f"rundetail-{state}-{theme}"
        for state in ("running", "completed-result", "failed")
        for theme in ("light", "dark")
    ),
)
# The dataset the run detail tests transform (rundetail.spec.ts), ingested before they start.
UI_DATASET = "ui_sales"
UI_CSV = b"region,amount\nnorth,10\nsouth,20\nnorth,5\neast,7\n"
# The helper extension Galata drives JupyterLab through (window.galata) ships with jupyterlab.
GALATA_LABEXTENSIONS = Path(jupyterlab.__file__).parent / "galata"


def ingest_sample(flow_stack: FlowStack, headers: dict[str, str]) -> None:
    """UI_DATASET in the lake, published by a real ingest_upload run of this user."""
    files = {"file": ("sales.csv", UI_CSV, "text/csv")}
    upload = httpx.post(
        flow_stack.gateway.api("/lake/uploads"), files=files, headers=headers, timeout=30
    )
    assert upload.status_code == 201, upload.text
    launched = httpx.post(
        flow_stack.gateway.api("/flows/ingest_upload/execute"),
        json={"parameters": {"upload_key": upload.json()["key"], "dataset": UI_DATASET}},
        headers=headers,
        timeout=30,
    )
    assert launched.status_code == 202, launched.text
    run_id = launched.json()["run_id"]
    assert wait_for_state(flow_stack, headers, run_id, timeout=120) == "COMPLETED"


def kernel_lake_env(settings: Settings) -> dict[str, str]:
    """What a notebook kernel needs to read the flow stack's lake with %%duckdb."""
    return {
        "LAKEBOOK_S3_ENDPOINT_URL": settings.s3_url,
        "LAKEBOOK_S3_BUCKET": settings.s3_bucket,
        "LAKEBOOK_S3_REGION": settings.s3_region,
        "LAKEBOOK_LAKE_URL": settings.lake_root,
        "LAKEBOOK_S3_ACCESS_KEY_ID": settings.require_secret("s3_access_key_id"),
        "LAKEBOOK_S3_SECRET_ACCESS_KEY": settings.require_secret("s3_secret_access_key"),
    }


def lab_with_galata(root: Path, token: str, env: dict[str, str]) -> Service:
    port = free_port()
    argv = jupyter_argv("lab", HOST, port, token, root / "notebooks") + (
        f"--LabServerApp.extra_labextensions_path={GALATA_LABEXTENSIONS}",
        "--LabApp.expose_app_in_browser=True",
        f"--LabApp.workspaces_dir={root / 'workspaces'}",
    )
    return Service(
        name="lab",
        argv=argv,
        ports=(port,),
        health_url=f"http://{HOST}:{port}/api",
        url=f"http://{HOST}:{port}",
        log_file=root / "lab.log",
        env=env,
        startup_timeout=120.0,
    )


@pytest.fixture(scope="module")
def lab(
    flow_stack: FlowStack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str, Path]]:
    """JupyterLab whose lakebook server extension calls the flow stack's gateway as an analyst."""
    root = tmp_path_factory.mktemp("galata-lab")
    (root / "notebooks").mkdir()
    (root / "workspaces").mkdir()
    (root / "data").mkdir()
    token = secrets.token_urlsafe(16)
    analyst = flow_stack.login("analyst")
    gateway_token = analyst["Authorization"].removeprefix("Bearer ")
    ingest_sample(flow_stack, analyst)
    env = {
        **kernel_lake_env(flow_stack.gateway.settings),
        "LAKEBOOK_GATEWAY_URL": flow_stack.gateway.url,
        "LAKEBOOK_TOKEN": gateway_token,
        # An empty data dir: nothing from a developer's own ~/.lakebook leaks into the test.
        "LAKEBOOK_DATA_DIR": str(root / "data"),
    }
    supervisor = quiet_supervisor(root / "stack.json")
    try:
        service = lab_with_galata(root, token, env)
        supervisor.start(service)
        yield service.url, token, service.log_file
    finally:
        supervisor.stop_all()


def test_sidebar_in_chromium(lab: tuple[str, str, Path]) -> None:
    lab_url, token, lab_log = lab
    assert CHROMIUM.exists(), "Debian's chromium is missing: apt-get install chromium"
    assert (UI_TESTS / "node_modules" / "@jupyterlab" / "galata").is_dir(), (
        "extension/ui-tests is not installed: run `make install`"
    )
    npx = shutil.which("npx")
    assert npx is not None, "npx (Node.js) is not on PATH"
    ARTIFACTS.mkdir(exist_ok=True)
    screenshots = [ARTIFACTS / f"lab-sidebar-{name}.png" for name in SCREENSHOTS]
    for old in screenshots:
        old.unlink(missing_ok=True)
    env = {
        **os.environ,
        "LAKEBOOK_UI_LAB_URL": lab_url,
        "LAKEBOOK_UI_LAB_TOKEN": token,
        "LAKEBOOK_UI_ARTIFACTS": str(ARTIFACTS),
        "LAKEBOOK_UI_DATASET": UI_DATASET,
        "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
        "CI": "1",
    }
    result = subprocess.run(
        [npx, "--no-install", "playwright", "test"],
        cwd=UI_TESTS,
        env=env,
        capture_output=True,
        text=True,
        timeout=PLAYWRIGHT_TIMEOUT_SECONDS,
        check=False,
    )
    report = f"{result.stdout}\n{result.stderr}"
    if result.returncode != 0:
        report += f"\n--- {lab_log} (tail) ---\n" + lab_log.read_text(errors="replace")[-4000:]
    assert result.returncode == 0, report
    assert "6 passed" in result.stdout, report
    for screenshot in screenshots:
        assert screenshot.stat().st_size > 0, f"{screenshot} was not written"
