"""Galata/Playwright tests of the side panel in Debian's Chromium, against JupyterLab with the
lakebook server extension in front of the real flow stack (Prefect + runner + gateway). Lab
reaches the gateway through a relay the browser tests can cut and restore (the switch URL is
LAKEBOOK_UI_GATEWAY_SWITCH) to see the panel report the gateway unreachable and recover."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import jupyterlab
import pytest

from lakebook.cli.stack.services import Service, jupyter_argv
from lakebook.common.settings import Settings
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
        for view in ("signed-in", "launch-transform", "runs", "bad-parameter", "unreachable")
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
)
UI_TESTS_PASSED = "8 passed"
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


@dataclass(frozen=True)
class GalataLab:
    url: str
    token: str
    log_file: Path
    gateway_switch: str


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
    gateway_token = flow_stack.login("analyst")["Authorization"].removeprefix("Bearer ")
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
            yield GalataLab(service.url, token, service.log_file, switch)
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
