"""notebooks/dashboard.ipynb served by Voila, opened in Debian's Chromium, against the real flow
stack: the launcher's widgets render, and a launched ping run reaches COMPLETED."""

from __future__ import annotations

import re
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Route, expect, sync_playwright

from lakebook.cli.stack.services import Service, settings_env
from tests.utils.ports import HOST, free_port
from tests.utils.services import FlowStack, quiet_supervisor

REPO = Path(__file__).resolve().parents[2]
DASHBOARD = REPO / "notebooks" / "dashboard.ipynb"
SCREENSHOT = REPO / "test-artifacts" / "voila-dashboard.png"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# Voila's lab template links Font Awesome 5 from jsdelivr; voila.js bundles the icon fonts
# itself, so with the CDN unreachable the icons still show (checked on the screenshot).
VOILA_TEMPLATE_CDN = "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@"
# Voila runs the whole notebook (kernel start, imports, two gateway calls) before the page
# shows widgets; the machine is shared, so the bound is generous.
RENDER_TIMEOUT_MS = 180_000
RUN_TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def voila(flow_stack: FlowStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Voila serving the dashboard; its kernel signs in to the flow stack's gateway."""
    root = tmp_path_factory.mktemp("voila")
    token = secrets.token_urlsafe(16)
    settings = flow_stack.gateway.settings
    env = {
        # The lake settings, so LakeBrowser reads the same lake the flows publish to.
        **settings_env(settings),
        "LAKEBOOK_S3_ACCESS_KEY_ID": settings.require_secret("s3_access_key_id"),
        "LAKEBOOK_S3_SECRET_ACCESS_KEY": settings.require_secret("s3_secret_access_key"),
        "LAKEBOOK_GATEWAY_URL": flow_stack.gateway.url,
        "LAKEBOOK_TOKEN": flow_stack.login("analyst")["Authorization"].removeprefix("Bearer "),
        # An empty data dir: no credential file from a developer's ~/.lakebook is found.
        "LAKEBOOK_DATA_DIR": str(root),
    }
    port = free_port()
    service = Service(
        name="voila",
        argv=(
            sys.executable,
            "-m",
            "voila",
            str(DASHBOARD),
            "--no-browser",
            f"--Voila.ip={HOST}",
            f"--port={port}",
            f"--token={token}",
            "--Voila.port_retries=0",
        ),  # fmt: skip
        ports=(port,),
        # A static file: the page itself would run the notebook on every health probe.
        health_url=f"http://{HOST}:{port}/voila/static/favicon.ico",
        url=f"http://{HOST}:{port}/?token={token}",
        log_file=root / "voila.log",
        env=env,
        startup_timeout=120.0,
    )
    supervisor = quiet_supervisor(root / "stack.json")
    try:
        supervisor.start(service)
        yield service.url
    finally:
        supervisor.stop_all()


def test_dashboard_renders_the_launcher_and_follows_a_run(voila: str) -> None:
    SCREENSHOT.parent.mkdir(exist_ok=True)
    SCREENSHOT.unlink(missing_ok=True)
    outside: list[str] = []

    def loopback_only(route: Route) -> None:
        url = route.request.url
        if url.startswith("data:") or urlsplit(url).hostname in LOOPBACK:
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.route("**/*", loopback_only)
            page.goto(voila, timeout=RENDER_TIMEOUT_MS)

            flow_picker = page.locator(".widget-dropdown select")
            expect(flow_picker.locator("option", has_text="ping")).to_have_count(
                1, timeout=RENDER_TIMEOUT_MS
            )
            launch = page.get_by_role("button", name="Launch")
            expect(launch).to_be_enabled()

            flow_picker.select_option("ping")
            launch.click()
            expect(page.get_by_text("launched ping run")).to_be_visible(timeout=RUN_TIMEOUT_MS)
            expect(page.get_by_text(re.compile(r"ping run \S+: COMPLETED"))).to_be_visible(
                timeout=RUN_TIMEOUT_MS
            )
            page.screenshot(path=str(SCREENSHOT), full_page=True)
        finally:
            browser.close()

    assert SCREENSHOT.stat().st_size > 0
    # The dashboard rendered and ran with everything but loopback refused; the template's
    # stylesheet links are the only requests that tried to leave the machine.
    assert [url for url in outside if not url.startswith(VOILA_TEMPLATE_CDN)] == []
