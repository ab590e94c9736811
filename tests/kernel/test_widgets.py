"""Widgets driven from Python: forms from schemas, paging, the lake browser, and live runs."""

from __future__ import annotations

import time
from collections.abc import Callable
from html import escape
from typing import Any

import polars as pl
import pytest

from lakebook.kernel import LakebookClient, Run
from lakebook.kernel.widgets import (
    FlowLauncher,
    LakeBrowser,
    ParameterForm,
    ResultTable,
    RunMonitor,
)
from lakebook.lake.publisher import LakePublisher
from tests.utils.gateway_clients import wait_until_running
from tests.utils.waiting import wait_until

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "region": {"position": 0, "type": "string", "minLength": 2},
        "top": {"position": 1, "type": "integer", "minimum": 1, "maximum": 10, "default": 3},
        "colour": {"position": 2, "allOf": [{"$ref": "#/definitions/Colour"}], "default": "red"},
        "dry_run": {"position": 3, "type": "boolean", "default": False},
        "share": {"position": 4, "anyOf": [{"type": "number"}, {"type": "null"}], "default": None},
        "options": {"position": 5, "type": "object", "default": {"a": 1}},
    },
    "required": ["region"],
    "definitions": {"Colour": {"enum": ["red", "green"], "type": "string"}},
}


def test_form_fields_follow_the_schema() -> None:
    form = ParameterForm(SCHEMA)
    assert list(form.fields) == ["region", "top", "colour", "dry_run", "share", "options"]
    kinds = {name: field.kind for name, field in form.fields.items()}
    assert kinds == {
        "region": "string",
        "top": "integer",
        "colour": "enum",
        "dry_run": "boolean",
        "share": "number",
        "options": "json",
    }
    assert form.fields["share"].nullable
    assert form.fields["colour"].input.options == ("—", "red", "green")

    assert form.values() is None  # region is required
    # Worded as the sidebar's rjsf/ajv form words it, on the field's dotted path.
    assert (
        "region: must have required property &#x27;region&#x27;"
        in form.fields["region"].error.value
    )
    assert form.problems == ["region: must have required property 'region'"]
    form.fields["region"].input.value = "north"
    form.fields["colour"].input.value = "green"
    assert form.values() == {
        "region": "north",
        "top": 3,
        "colour": "green",
        "dry_run": False,
        "options": {"a": 1},
    }
    assert form.fields["region"].error.value == ""


@pytest.mark.parametrize(
    ("name", "entry", "problem"),
    [
        ("top", "11", "top: must be <= 10"),
        ("top", "0", "top: must be >= 1"),
        ("top", "2.5", "top: must be integer"),
        ("region", "n", "region: must NOT have fewer than 2 characters"),
        ("share", "lots", "share: must be number"),
        ("options", "{", "options: must be valid JSON"),
        ("options", "[1]", "options: must be object"),
    ],
)
def test_form_refuses_bad_entries(name: str, entry: str, problem: str) -> None:
    form = ParameterForm(SCHEMA)
    form.fields["region"].input.value = "north"
    form.fields[name].input.value = entry
    assert form.values() is None
    assert [shown for shown in form.problems if shown.startswith(problem)], form.problems
    assert escape(problem) in form.fields[name].error.value


def test_result_table_pages_through_a_frame() -> None:
    frame = pl.DataFrame({"n": range(57), "label": [f"<row {i}>" for i in range(57)]})
    table = ResultTable(frame.lazy(), page_size=20)
    assert table.row_count == 57
    assert table.page_frame["n"].to_list() == list(range(20))
    assert table.position.value == "rows 1–20 of 57"
    assert table.previous_button.disabled
    assert "&lt;row 0&gt;" in table.table.value  # values are escaped
    table.next_button.click()
    table.next_button.click()
    assert table.page_frame["n"].to_list() == list(range(40, 57))
    assert table.next_button.disabled
    table.next_button.click()  # past the end stays on the last page
    assert table.page == 2
    table.page_size_picker.value = 50
    assert (table.page, table.page_frame.height) == (0, 50)
    table.previous_button.click()
    assert table.page == 0
    empty = ResultTable(pl.DataFrame({"n": []}, schema={"n": pl.Int64}))
    assert empty.position.value == "rows 0–0 of 0"


def test_lake_browser_lists_datasets_with_schema(publisher: LakePublisher) -> None:
    publisher.publish(
        pl.DataFrame({"region": ["west"], "amount": [1.0], "units": [9]}),
        dataset="sales",
        run_id="r2",
        flow_name="nightly",
    )
    browser = LakeBrowser(publisher)
    assert browser.picker.options == ("sales",)
    browser.picker.value = "sales"
    assert "<code>r2</code> by nightly" in browser.details.value
    assert "2 run(s)" in browser.details.value
    assert "<td>units</td><td>Int64</td>" in browser.details.value
    browser.preview_button.click()
    (preview,) = browser.preview_area.children
    assert preview.page_frame["region"].to_list() == ["west"]


def test_lake_browser_names_a_metadata_file_lakebook_did_not_write(
    publisher: LakePublisher,
) -> None:
    """A broken metadata.json is shown as what it is, where: not as a traceback."""
    key = publisher.paths.run_metadata_key("sales", "r1")
    publisher.store.write_bytes(key, b'{"dataset": "sales", "row_count": "many"}')
    browser = LakeBrowser(publisher)
    browser.picker.value = "sales"
    shown = browser.details.value
    assert f"{publisher.paths.uri(key)} is not lakebook&#x27;s metadata.json" in shown
    assert "Traceback" not in shown
    assert "pydantic" not in shown


def test_launcher_launches_and_monitors_a_run(analyst: LakebookClient) -> None:
    launcher = FlowLauncher(analyst)
    launched: list[Run] = []
    launcher.on_launch(launched.append)
    try:
        assert "ping" in launcher.flow_picker.options
        launcher.flow_picker.value = "ping"
        assert list(launcher.form.fields) == ["message", "wait_seconds"]
        wait_seconds = launcher.form.fields["wait_seconds"]
        wait_seconds.input.value = "1000"
        launcher.launch_button.click()
        assert launched == []
        assert "wait_seconds: must be &lt;= 600" in wait_seconds.error.value
        assert "invalid parameters (wait_seconds: must be &lt;= 600)" in launcher.status.value

        wait_seconds.input.value = "1"
        launcher.form.fields["message"].input.value = "from the launcher"
        launcher.launch_button.click()
        (run,) = launched
        assert run.id in launcher.status.value
        monitor = launcher.monitor
        assert monitor is not None
        assert monitor.join(timeout=60), f"monitor still {monitor.state}"
        assert monitor.state == "COMPLETED"
        assert monitor.progress.value == 1.0
        assert monitor.cancel_button.disabled
        assert "ping: from the launcher" in monitor.log_tail.value
        assert run.info().parameters == {"message": "from the launcher", "wait_seconds": 1.0}
    finally:
        launcher.close()


def test_launcher_shows_the_gateways_refusal(client_for: Callable[[str], LakebookClient]) -> None:
    launcher = FlowLauncher(client_for("viewer"))
    try:
        launcher.flow_picker.value = "ping"
        launcher.launch_button.click()
        assert "cannot launch flows" in launcher.status.value
        assert launcher.last_run is None
    finally:
        launcher.close()


def test_monitor_follows_states_and_cancels(analyst: LakebookClient) -> None:
    run = analyst.run("ping", wait_seconds=120)
    monitor = RunMonitor(run)
    seen: list[str] = []
    monitor.observe(lambda change: seen.append(change["new"]), names="state")
    try:
        wait_until_running(run)
        wait_until(
            lambda: monitor.state == "RUNNING",
            awaiting=lambda: f"the monitor to see RUNNING (it saw {seen})",
            timeout=30,
        )
        monitor.cancel_button.click()
        assert monitor.join(timeout=60), f"monitor saw {seen}"
        assert seen[-1] == "CANCELLED", seen
        assert monitor.progress.bar_style == "warning"
        # The "cancelling" line only held until the run ended: the final state is what shows.
        assert monitor.message.value == ""
        assert "<b>CANCELLED</b>" in monitor.state_label.value
    finally:
        monitor.close()


def test_closing_a_monitor_stops_its_stream_at_once(analyst: LakebookClient) -> None:
    run = analyst.run("ping", wait_seconds=30)
    monitor = RunMonitor(run)
    wait_until(lambda: monitor.state, awaiting="the monitor to follow the run", timeout=30)
    started = time.monotonic()
    monitor.close()
    assert time.monotonic() - started < 2
    assert monitor.finished.is_set()
    run.cancel()


def test_lake_browser_lists_and_previews_through_the_gateway(
    keyless_client: LakebookClient,
    client_for: Callable[[str], LakebookClient],
    stack_lake: LakePublisher,
) -> None:
    mine = keyless_client.run("ping")
    assert mine.wait(timeout=60) == "COMPLETED"
    stack_lake.publish(
        pl.DataFrame({"city": ["Oslo"], "visits": [3]}),
        dataset="browser_mine",
        run_id=mine.id,
        flow_name="ping",
    )
    stack_lake.publish(
        pl.DataFrame({"city": ["Lima"]}), dataset="browser_theirs", run_id="other-r1", flow_name="x"
    )
    browser = LakeBrowser(keyless_client)
    assert {"browser_mine", "browser_theirs"} <= set(browser.picker.options)
    browser.picker.value = "browser_mine"
    assert f"<code>{mine.id}</code> by ping" in browser.details.value
    assert "<td>visits</td><td>Int64</td>" in browser.details.value
    browser.preview_button.click()
    (preview,) = browser.preview_area.children
    assert preview.page_frame["city"].to_list() == ["Oslo"]
    # Not the caller's run, and this kernel holds no lake keys: a message, not a traceback.
    browser.picker.value = "browser_theirs"
    browser.preview_button.click()
    (message,) = browser.preview_area.children
    assert "is not yours and this kernel cannot read the lake" in message.value
    # A kernel with the lake's keys reads it directly instead.
    keyed = LakeBrowser(client_for("analyst"))
    keyed.picker.value = "browser_theirs"
    keyed.preview_button.click()
    (preview,) = keyed.preview_area.children
    assert preview.page_frame["city"].to_list() == ["Lima"]
