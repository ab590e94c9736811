"""Galata/Playwright tests of the sidebar in Debian's Chromium, against JupyterLab with the
lakebook server extension in front of the real flow stack (Prefect + runner + gateway)."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import jupyterlab
import pytest

from lakebook.cli.stack.services import Service, jupyter_argv
from lakebook.common.settings import Settings
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
        f"lake-{view}-{theme}"
        for view in ("section", "dataset", "ingest")
        for theme in ("light", "dark")
    ),
    "lake-upload-error",
)
# The lake settings a kernel's %%duckdb reads the flow stack's lake with (the lake section's
# "Query in notebook" cell runs in a kernel of this Lab).
LAKE_SETTINGS = ("lake_url", "s3_endpoint_url", "s3_port", "s3_bucket", "s3_region")
LAKE_SECRETS = ("s3_access_key_id", "s3_secret_access_key")
# The helper extension Galata drives JupyterLab through (window.galata) ships with jupyterlab.
GALATA_LABEXTENSIONS = Path(jupyterlab.__file__).parent / "galata"


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


def kernel_lake_env(settings: Settings) -> dict[str, str]:
    env = {
        f"LAKEBOOK_{name.upper()}": str(value)
        for name in LAKE_SETTINGS
        if (value := getattr(settings, name)) is not None
    }
    return env | {
        f"LAKEBOOK_{name.upper()}": settings.require_secret(name) for name in LAKE_SECRETS
    }


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
    gateway_token = flow_stack.login("analyst")["Authorization"].removeprefix("Bearer ")
    env = {
        "LAKEBOOK_GATEWAY_URL": flow_stack.gateway.url,
        "LAKEBOOK_TOKEN": gateway_token,
        # An empty data dir: nothing from a developer's own ~/.lakebook leaks into the test.
        "LAKEBOOK_DATA_DIR": str(root / "data"),
        **kernel_lake_env(flow_stack.gateway.settings),
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
    assert "5 passed" in result.stdout, report
    for screenshot in screenshots:
        assert screenshot.stat().st_size > 0, f"{screenshot} was not written"
