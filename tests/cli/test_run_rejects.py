"""Rejected ingest rows are seen where the run is: `lakebook run`'s last lines, the client's
warning, the run's result and the dataset's detail, on the real gateway, Prefect and runner."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from lakebook.kernel.client import connect
from tests.gateway.test_flows_api import wait_for_state
from tests.utils.cli_client import lakebook
from tests.utils.services import FlowStack

HEADER = "a,b,c,d,e,f,g,h"
GOOD = "1,2,3,4,5,6,7,8"
# Line 3 is cut to 3 of the 8 fields, line 5 has a ninth; line 6 keeps its last value empty.
FLIGHTS = "\n".join([HEADER, GOOD, "9,10,11", GOOD, f"{GOOD},9", "1,2,3,4,5,6,7,", GOOD]) + "\n"
NOTE = "2 rows rejected, e.g. line 3: 3 of 8 fields"


def uploaded(flow_stack: FlowStack, data_dir: Path) -> str:
    csv_file = data_dir / "ragged.csv"
    csv_file.write_text(FLIGHTS)
    with connect(settings=flow_stack.gateway.settings.with_values(data_dir=data_dir)) as client:
        return client.upload(csv_file).key


def test_lakebook_run_ends_with_the_rejected_rows(flow_stack: FlowStack, signed_in: Path) -> None:
    key = uploaded(flow_stack, signed_in)
    args = ["-p", f"upload_key={key}", "-p", "dataset=cli_ragged", "-p", "max_reject_fraction=0.5"]
    done = lakebook(flow_stack, signed_in, "run", "ingest_upload", *args)

    assert done.returncode == 0, done.stdout + done.stderr
    *_, note, ended = done.stdout.rstrip().splitlines()
    assert note == f"  {NOTE}"
    assert ended.endswith("ended COMPLETED")

    settings = flow_stack.gateway.settings.with_values(data_dir=signed_in)
    with connect(settings=settings) as client:
        detail = client.dataset("cli_ragged")
        assert detail.row_count == 4
        assert detail.rows_rejected == 2
        assert [(r.row, r.line, r.reason) for r in detail.reject_sample] == [
            (2, 3, "3 of 8 fields"),
            (4, 5, "more fields than the header"),
        ]
        (run,) = client.runs("ingest_upload")
        assert run.published().rejects_note == NOTE


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What the run module warned of (the client's own INFO lines show once the kernel's
    logging is set up, as other test modules do)."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "lakebook.kernel.runs" and record.levelno >= logging.WARNING
    ]


def test_the_client_warns_of_rejected_rows_when_the_run_ends(
    flow_stack: FlowStack, signed_in: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key = uploaded(flow_stack, signed_in)
    settings = flow_stack.gateway.settings.with_values(data_dir=signed_in)
    with connect(settings=settings) as client:
        run = client.run(
            "ingest_upload", upload_key=key, dataset="client_ragged", max_reject_fraction=0.5
        )
        with caplog.at_level(logging.WARNING, logger="lakebook.kernel.runs"):
            assert run.wait(timeout=120) == "COMPLETED"
        assert warnings(caplog) == [f"run {run.id} of ingest_upload: {NOTE}"]
        result = run.published(preview_rows=0)
        assert (result.rows_rejected, len(result.reject_sample)) == (2, 2)

        caplog.clear()
        ping = client.run("ping")
        with caplog.at_level(logging.WARNING, logger="lakebook.kernel.runs"):
            assert ping.wait(timeout=120) == "COMPLETED"
        assert warnings(caplog) == [], "a run that publishes nothing has nothing to say"


def ingest_over_http(
    flow_stack: FlowStack, headers: dict[str, str], csv_text: str, dataset: str
) -> str:
    """Uploads the CSV and launches its ingest through the gateway; answers the run's id."""
    api = flow_stack.gateway.api
    files = {"file": ("data.csv", csv_text.encode(), "text/csv")}
    key = httpx.post(api("/lake/uploads"), files=files, headers=headers, timeout=30).json()["key"]
    launched = httpx.post(
        api("/flows/ingest_upload/execute"),
        json={"parameters": {"upload_key": key, "dataset": dataset}},
        headers=headers,
    )
    assert launched.status_code == 202, launched.text
    return str(launched.json()["run_id"])


def test_the_dataset_detail_of_a_clean_run_has_no_rejects(flow_stack: FlowStack) -> None:
    analyst = flow_stack.login("analyst")
    run_id = ingest_over_http(flow_stack, analyst, f"{HEADER}\n{GOOD}\n", "clean_detail")
    assert wait_for_state(flow_stack, analyst, run_id, timeout=90) == "COMPLETED"
    api = flow_stack.gateway.api
    detail = httpx.get(api("/lake/datasets/clean_detail"), headers=analyst).json()
    assert (detail["rows_rejected"], detail["reject_sample"]) == (0, [])


def test_a_run_failed_by_its_rejects_says_why_in_the_words_of_the_lake(
    flow_stack: FlowStack,
) -> None:
    """The failed state's message names rows by line, as the dataset detail does, and starts
    with the error, not with Prefect's "Flow run encountered an exception:"."""
    analyst = flow_stack.login("analyst")
    run_id = ingest_over_http(flow_stack, analyst, FLIGHTS, "too_ragged")
    assert wait_for_state(flow_stack, analyst, run_id, timeout=90) == "FAILED"

    states = httpx.get(
        flow_stack.gateway.api(f"/flows/runs/{run_id}/states"), headers=analyst
    ).json()
    message = states[-1]["message"]
    assert message.startswith("TooManyRejectsError: 2 of 6 rows of "), message
    assert "first bad rows: line 3: 3 of 8 fields; line 5: more fields than the header" in message
