"""The kernel's widgets in JupyterLab, in Debian's Chromium, against the real flow stack: the
launcher's first state, nested spec fields and their error marks, the rows picker's layout, and
a cancelled run's final line; screenshots of each in the light and the dark theme."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import Locator, Page, expect, sync_playwright

from lakebook.cli.stack.services import Service, jupyter_argv
from tests.utils.ports import HOST, free_port
from tests.utils.services import FlowStack, quiet_supervisor

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
THEMES = {"light": "JupyterLab Light", "dark": "JupyterLab Dark"}
SHOTS = ("launcher-errors", "launcher-nested", "result-table", "monitor-cancelled")
# A kernel start, imports and gateway calls on a machine shared by several test runs.
TIMEOUT_MS = 120_000

CELLS = [
    "import polars as pl\n"
    "from lakebook.kernel import connect\n"
    "from lakebook.kernel.widgets import FlowLauncher, ResultTable, RunMonitor\n"
    "lb = connect()",
    "launcher = FlowLauncher(lb, monitor_runs=False)\nlauncher",
    "ResultTable(pl.DataFrame({'n': range(57)}), page_size=10)",
    "run = lb.run('ping', wait_seconds=120)\nRunMonitor(run)",
]


@pytest.fixture(scope="module")
def lab(flow_stack: FlowStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """JupyterLab whose kernels sign in to the flow stack's gateway as an analyst; the URL of a
    notebook with a launcher, a result table and a run monitor."""
    root = tmp_path_factory.mktemp("widgets-lab")
    for folder in ("notebooks", "workspaces", "data", "settings"):
        (root / folder).mkdir()
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, root / "notebooks" / "widgets.ipynb")
    # No "get notified about Jupyter news?" toast over the widgets in the screenshots.
    notification = root / "settings" / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    (notification / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    token = secrets.token_urlsafe(16)
    port = free_port()
    env = {
        "LAKEBOOK_GATEWAY_URL": flow_stack.gateway.url,
        "LAKEBOOK_TOKEN": flow_stack.login("analyst")["Authorization"].removeprefix("Bearer "),
        # An empty data dir: nothing from a developer's own ~/.lakebook leaks into the test.
        "LAKEBOOK_DATA_DIR": str(root / "data"),
        # Settings of its own: the theme this test picks is not a developer's.
        "JUPYTERLAB_SETTINGS_DIR": str(root / "settings"),
    }
    service = Service(
        name="lab",
        argv=jupyter_argv("lab", HOST, port, token, root / "notebooks")
        + ("--LabApp.expose_app_in_browser=True", f"--LabApp.workspaces_dir={root / 'workspaces'}"),
        ports=(port,),
        health_url=f"http://{HOST}:{port}/api",
        url=f"http://{HOST}:{port}/lab/tree/widgets.ipynb?token={token}",
        log_file=root / "lab.log",
        env={**os.environ, **env},
        startup_timeout=120.0,
    )
    supervisor = quiet_supervisor(root / "stack.json")
    try:
        supervisor.start(service)
        yield service.url
    finally:
        supervisor.stop_all()


def _command(page: Page, command: str, args: dict[str, str] | None = None) -> None:
    # Not awaited: running all cells resolves only once every cell has run.
    page.evaluate(
        "([command, args]) => { window.jupyterapp.commands.execute(command, args); }",
        [command, args or {}],
    )


def _open_notebook(page: Page, url: str) -> None:
    page.goto(url, timeout=TIMEOUT_MS)
    page.wait_for_function("window.jupyterapp?.shell", timeout=TIMEOUT_MS)
    ready = "window.jupyterapp.shell.currentWidget?.sessionContext?.isReady === true"
    page.wait_for_function(ready, timeout=TIMEOUT_MS)


def _output(page: Page, cell: int) -> Locator:
    return page.locator(".jp-Notebook .jp-Cell").nth(cell).locator(".jp-OutputArea")


def _shoot(locator: Locator, name: str, theme: str) -> None:
    locator.screenshot(path=str(ARTIFACTS / f"widgets-{name}-{theme}.png"))


def _check_launcher(page: Page, theme: str) -> None:
    launcher = _output(page, 1)
    flow = launcher.locator(".widget-dropdown select").first
    # A flow is picked from the start, so Launch has a form to send.
    expect(flow).not_to_have_value("", timeout=TIMEOUT_MS)
    flow.select_option("transform_dataset")
    expect(launcher.get_by_text("Inputs *", exact=True)).to_be_visible(timeout=TIMEOUT_MS)
    launcher.get_by_role("button", name="Launch").click()
    missing = "spec.inputs: must NOT have fewer than 1 items"
    # Listed in the status line and marked on the field itself.
    expect(launcher.get_by_text(missing)).to_have_count(2, timeout=TIMEOUT_MS)
    _shoot(launcher, "launcher-errors", theme)

    # Not by exact name: the icon font's glyph is part of a button's accessible name.
    add_input, add_step = launcher.get_by_role("button", name="Add").all()
    add_input.click()
    dataset = launcher.locator(".widget-text", has_text="Dataset *").locator("input")
    expect(dataset).to_be_visible(timeout=TIMEOUT_MS)
    dataset.fill("sales")
    add_step.click()
    step = launcher.locator("select", has=page.locator("option", has_text="Join"))
    expect(step).to_be_visible(timeout=TIMEOUT_MS)
    step.select_option(label="Join")
    how = launcher.locator(".widget-dropdown", has_text="How").locator("select")
    expect(how).to_have_value("inner", timeout=TIMEOUT_MS)
    expect(launcher.get_by_text("Name of another input to join with.")).to_be_visible()
    _shoot(launcher, "launcher-nested", theme)


def _check_rows_picker(page: Page, theme: str) -> None:
    table = _output(page, 2)
    picker = table.locator(".widget-dropdown", has_text="Rows")
    select = picker.locator("select")
    expect(select).to_be_visible(timeout=TIMEOUT_MS)
    # The longest choice fits beside the arrow, and the label is not cut short.
    fits = select.evaluate(
        """select => {
            const style = getComputedStyle(select);
            const context = document.createElement('canvas').getContext('2d');
            context.font = style.font;
            const longest = Math.max(
                ...[...select.options].map(option => context.measureText(option.text).width)
            );
            const room = select.clientWidth - parseFloat(style.paddingLeft)
                - parseFloat(style.paddingRight);
            return {longest, room};
        }"""
    )
    assert fits["room"] >= fits["longest"], fits
    label = picker.locator("label")
    assert label.evaluate("label => label.scrollWidth <= label.clientWidth")
    _shoot(table, "result-table", theme)


def _check_cancelled_monitor(page: Page, theme: str) -> None:
    monitor = _output(page, 3)
    expect(monitor.get_by_text("RUNNING")).to_be_visible(timeout=TIMEOUT_MS)
    monitor.get_by_role("button", name="Cancel").click()
    expect(monitor.get_by_text("CANCELLED")).to_be_visible(timeout=TIMEOUT_MS)
    # The "cancelling" line held only while the run was ending.
    expect(monitor.get_by_text("cancelling")).to_have_count(0)
    _shoot(monitor, "monitor-cancelled", theme)


# Two passes (light, dark) of a kernel start and a run each, in a browser, on a busy machine.
@pytest.mark.timeout(1200)
def test_widgets_in_jupyterlab(lab: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for old in ARTIFACTS.glob("widgets-*.png"):
        old.unlink()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 1600})
            for theme, theme_name in THEMES.items():
                _open_notebook(page, lab)
                _command(page, "apputils:change-theme", {"theme": theme_name})
                _command(page, "notebook:run-all-cells")
                try:
                    _check_launcher(page, theme)
                    _check_rows_picker(page, theme)
                    _check_cancelled_monitor(page, theme)
                except Exception:
                    page.screenshot(path=str(ARTIFACTS / f"widgets-failed-{theme}.png"))
                    raise
        finally:
            browser.close()
    for name in SHOTS:
        for theme in THEMES:
            assert (ARTIFACTS / f"widgets-{name}-{theme}.png").stat().st_size > 0
