"""What a notebook run records: the report's metadata.json and the Prefect artifacts."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import nbconvert
import papermill
from prefect.artifacts import create_link_artifact, create_markdown_artifact

from lakebook.flows.notebook_execution import ExecutionOutcome
from lakebook.lake.metadata import FailedCellRecord, ReportDraft
from lakebook.lake.notebook_source import NotebookSource
from lakebook.lake.reports import PublishedReport

MAX_ARTIFACT_VALUE_CHARACTERS = 200


def report_metadata(
    *,
    report_id: str,
    title: str,
    flow_name: str,
    source: NotebookSource,
    parameters: Mapping[str, Any],
    user: str | None,
    schedule: str | None,
    outcome: ExecutionOutcome,
    timeout_seconds: int,
) -> ReportDraft:
    """metadata.json: what ran, with which values, by whom, how long, and where it stopped."""
    failed = outcome.failed_cell
    language_info = outcome.notebook.metadata.get("language_info", {})
    return ReportDraft(
        report_id=report_id,
        report_name=title,
        flow_name=flow_name,
        run_id=report_id,
        notebook=source.display,
        notebook_source=source.kind,
        parameters=json.loads(json.dumps(dict(parameters), default=str)),
        user=user,
        schedule=schedule,
        status=outcome.status,
        failed_cell=None
        if failed is None
        else FailedCellRecord(
            index=failed.index,
            execution_count=failed.execution_count,
            ename=failed.ename,
            evalue=failed.evalue,
        ),
        started_at=outcome.started_at,
        finished_at=outcome.finished_at,
        duration_seconds=round(outcome.duration_seconds, 3),
        timeout_seconds=timeout_seconds,
        kernel_name=outcome.kernel_name,
        language=language_info.get("name"),
        language_version=language_info.get("version"),
        papermill_version=papermill.__version__,
        nbconvert_version=nbconvert.__version__,
    )


def failure_message(source: NotebookSource, outcome: ExecutionOutcome, html_uri: str) -> str:
    """The run's failure: which cell, what it raised, and where the partial report is."""
    assert outcome.failed_cell is not None
    return (
        f"notebook {source.display} failed: {outcome.failed_cell.describe()}; the cells after it "
        f"did not run. The partial report is at {html_uri}"
    )


def create_report_artifacts(
    title: str,
    source: NotebookSource,
    parameters: Mapping[str, Any],
    outcome: ExecutionOutcome,
    report: PublishedReport,
) -> None:
    """A link to the HTML report and a markdown summary, keyed by the report's name so the
    Prefect UI shows each report's history."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "notebook"
    create_link_artifact(
        link=report.html_uri,
        link_text=f"{title} (report.html)",
        key=f"notebook-report-{slug}",
        description=f"Report of {source.display}",
    )
    create_markdown_artifact(
        markdown=summary_markdown(title, source, parameters, outcome, report),
        key=f"notebook-summary-{slug}",
        description=f"Run of {source.display}",
    )


def summary_markdown(
    title: str,
    source: NotebookSource,
    parameters: Mapping[str, Any],
    outcome: ExecutionOutcome,
    report: PublishedReport,
) -> str:
    """Parameters, duration, status and the failing cell, for the run's page in Prefect."""
    status = "completed" if outcome.failed_cell is None else "**failed**"
    lines = [
        f"### {_cell(title)}",
        "",
        "| | |",
        "|---|---|",
        f"| notebook | `{_cell(source.display)}` |",
        f"| status | {status} |",
        f"| duration | {outcome.duration_seconds:.1f} s |",
        f"| kernel | {_cell(outcome.kernel_name)} |",
        f"| report | [report.html]({report.html_uri}) · [report.ipynb]({report.notebook_uri}) |",
    ]
    if outcome.failed_cell is not None:
        lines.append(f"| failed at | {_cell(outcome.failed_cell.describe())} |")
    if parameters:
        lines += ["", "| parameter | value |", "|---|---|"]
        lines += [
            f"| {_cell(k)} | `{_cell(json.dumps(v, default=str))}` |" for k, v in parameters.items()
        ]
    return "\n".join(lines)


def _cell(value: str) -> str:
    """Text safe inside a markdown table cell, and short."""
    text = value.replace("|", "\\|").replace("\n", " ")
    if len(text) > MAX_ARTIFACT_VALUE_CHARACTERS:
        text = text[:MAX_ARTIFACT_VALUE_CHARACTERS] + " …"
    return text
