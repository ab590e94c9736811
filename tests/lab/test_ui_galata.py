"""Galata/Playwright tests of the side panel (and its lake and schedules sections) and of the
run detail view in Debian's Chromium, against JupyterLab with the lakebook server extension in
front of the real flow stack (Prefect + runner + gateway). Lab reaches the gateway through a
relay the browser tests can cut and restore (the switch URL is LAKEBOOK_UI_GATEWAY_SWITCH) to
see the panel report the gateway unreachable and recover. The run detail tests transform a
small dataset ingested before they start (LAKEBOOK_UI_DATASET); the sign-in test signs in as
another analyst (LAKEBOOK_UI_USER, LAKEBOOK_UI_PASSWORD)."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import jupyterlab
import pytest

from lakebook.cli.stack.services import Service, jupyter_argv
from lakebook.common.settings import Settings
from tests.gateway.test_flows_api import wait_for_state
from tests.utils.ports import HOST, free_port
from tests.utils.relay import Relay, relay_switch
from tests.utils.services import FlowStack, quiet_supervisor

REPO = Path(__file__).resolve().parents[2]
UI_TESTS = REPO / "extension" / "ui-tests"
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
PLAYWRIGHT_TIMEOUT_SECONDS = 480
SCREENSHOTS = (
    *(
        f"lab-panel-{view}-{theme}.png"
        for view in (
            "signed-in",
            "launch-transform",
            "runs",
            "bad-parameter",
            "unreachable",
            "sign-in-refused",
            "signed-in-as-user",
        )
        for theme in ("light", "dark")
    ),
    "lab-sidebar-schedule-dialog.png",
    "lab-sidebar-schedule-cron-error.png",
    "lab-sidebar-schedules.png",
    "lab-sidebar-schedules-dark.png",
    "lab-sidebar-schedule-dialog-dark.png",
    *(
        f"lab-sidebar-lake-{view}-{theme}.png"
        for view in ("section", "dataset", "ingest")
        for theme in ("light", "dark")
    ),
    "lab-sidebar-lake-upload-error.png",
    *(
        f"lab-sidebar-rundetail-{view}-{theme}.png"
        for view in ("running", "completed-result", "failed", "report")
        for theme in ("light", "dark")
    ),
)
# Every Playwright test of ui-tests/tests: panel 6, lake 2, schedules 1, rundetail 4, signin 1.
UI_TESTS_PASSED = "14 passed"
# The dataset the run detail tests transform (rundetail.spec.ts), ingested before they start.
UI_DATASET = "ui_sales"
UI_CSV = b"region,amount\nnorth,10\nsouth,20\nnorth,5\neast,7\n"
# The lake settings a kernel's %%duckdb reads the flow stack's lake with (the lake section's
# "Query in notebook" cell runs in a kernel of this Lab).
LAKE_SETTINGS = ("lake_url", "s3_endpoint_url", "s3_port", "s3_bucket", "s3_region")
LAKE_SECRETS = ("s3_access_key_id", "s3_secret_access_key")
# The helper extension Galata drives JupyterLab through (window.galata) ships with jupyterlab.
GALATA_LABEXTENSIONS = Path(jupyterlab.__file__).parent / "galata"


def lab_with_galata(root: Path, lab_root: Path, token: str, env: dict[str, str]) -> Service:
    port = free_port()
    argv = jupyter_argv("lab", HOST, port, token, lab_root) + (
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


@dataclass(frozen=True)
class GalataLab:
    url: str
    token: str
    log_file: Path
    gateway_switch: str
    # An analyst the sign-in test signs in as, with the panel's form.
    user: tuple[str, str]


def kernel_lake_env(settings: Settings) -> dict[str, str]:
    variables = settings.variables()
    env = {
        f"LAKEBOOK_{name.upper()}": str(value)
        for name in LAKE_SETTINGS
        if (value := variables[name]) is not None
    }
    return env | {
        f"LAKEBOOK_{name.upper()}": settings.require_secret(name) for name in LAKE_SECRETS
    }


@pytest.fixture(scope="module")
def lab(flow_stack: FlowStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GalataLab]:
    """JupyterLab whose lakebook server extension calls the flow stack's gateway as an analyst,
    through a relay the browser tests can cut.

    Lab's root is the gateway's workspace folder, as `lakebook up` starts them: notebooks made
    in Lab are the ones the gateway can schedule."""
    root = tmp_path_factory.mktemp("galata-lab")
    notebook_dir = flow_stack.gateway.settings.flows.notebook_dir
    assert notebook_dir is not None, "the flow stack has no workspace folder"
    (root / "workspaces").mkdir()
    (root / "data").mkdir()
    token = secrets.token_urlsafe(16)
    analyst = flow_stack.login("analyst")
    gateway_token = analyst["Authorization"].removeprefix("Bearer ")
    ingest_sample(flow_stack, analyst)
    gateway = urlsplit(flow_stack.gateway.url)
    relay = Relay(gateway.hostname or HOST, gateway.port or 80)
    env = {
        "LAKEBOOK_GATEWAY_URL": relay.url,
        "LAKEBOOK_TOKEN": gateway_token,
        # An empty data dir: nothing from a developer's own ~/.lakebook leaks into the test.
        "LAKEBOOK_DATA_DIR": str(root / "data"),
        "LAKEBOOK_NOTEBOOK_DIR": str(notebook_dir),
        **kernel_lake_env(flow_stack.gateway.settings),
    }
    supervisor = quiet_supervisor(root / "stack.json")
    try:
        with relay_switch(relay) as switch:
            service = lab_with_galata(root, notebook_dir, token, env)
            supervisor.start(service)
            user = flow_stack.gateway.add_user("analyst")
            yield GalataLab(service.url, token, service.log_file, switch, user)
    finally:
        supervisor.stop_all()
        relay.close()


def test_sidebar_in_chromium(lab: GalataLab) -> None:
    assert CHROMIUM.exists(), "Debian's chromium is missing: apt-get install chromium"
    assert (UI_TESTS / "node_modules" / "@jupyterlab" / "galata").is_dir(), (
        "extension/ui-tests is not installed: run `make install`"
    )
    npx = shutil.which("npx")
    assert npx is not None, "npx (Node.js) is not on PATH"
    ARTIFACTS.mkdir(exist_ok=True)
    screenshots = [ARTIFACTS / name for name in SCREENSHOTS]
    for old in screenshots:
        old.unlink(missing_ok=True)
    env = {
        **os.environ,
        "LAKEBOOK_UI_LAB_URL": lab.url,
        "LAKEBOOK_UI_LAB_TOKEN": lab.token,
        "LAKEBOOK_UI_GATEWAY_SWITCH": lab.gateway_switch,
        "LAKEBOOK_UI_ARTIFACTS": str(ARTIFACTS),
        "LAKEBOOK_UI_DATASET": UI_DATASET,
        "LAKEBOOK_UI_USER": lab.user[0],
        "LAKEBOOK_UI_PASSWORD": lab.user[1],
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
        log = lab.log_file.read_text(errors="replace")[-4000:]
        report += f"\n--- {lab.log_file} (tail) ---\n{log}"
    assert result.returncode == 0, report
    assert UI_TESTS_PASSED in result.stdout, report
    for screenshot in screenshots:
        assert screenshot.stat().st_size > 0, f"{screenshot} was not written"
