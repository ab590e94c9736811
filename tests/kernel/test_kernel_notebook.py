"""The magics in a real Jupyter kernel against the real S3 lake (SeaweedFS)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import polars as pl
import pytest
from nbclient import NotebookClient

from lakebook.lake.publisher import LakePublisher
from lakebook.lake.store import LakeStore
from tests.utils.lake import SALES, use_lake
from tests.utils.services import S3Server

CELLS = {
    "load": "%load_ext lakebook.kernel\n%config DuckDBMagic.display_limit = 2",
    "lake": "%%duckdb -o df\nSELECT * FROM lake.sales ORDER BY region",
    "show_lake": "print(df.write_json())",
    "values": (
        "import datetime\n"
        "name, floor, ratio = 'north', 70, 0.5\n"
        "day = datetime.date(2026, 3, 1)\n"
        "regions = ['north', 'east']\n"
        'evil = "x\' OR 1=1 --"'
    ),
    "bound": (
        "%%duckdb -o bound\n"
        "SELECT count(*) FILTER (WHERE region = $name) AS by_name,\n"
        "       count(*) FILTER (WHERE amount > $floor) AS by_floor,\n"
        "       sum(amount * $ratio) AS scaled,\n"
        "       max($day) AS day,\n"
        "       count(*) FILTER (WHERE list_contains($regions, region)) AS by_list,\n"
        "       count(*) FILTER (WHERE region = $evil) AS injected\n"
        "FROM lake.sales"
    ),
    "show_bound": "print(bound.with_columns(day=bound['day'].cast(str)).write_json())",
    "unknown_dataset": "%%duckdb\nSELECT * FROM lake.nope",
    "syntax_error": "%%duckdb\nSELEC 1",
    "missing_variable": "%%duckdb\nSELECT $nowhere",
    "after": "%duckdb -o after SELECT 42 AS answer\nprint(after.item())",
}


def _stdout(cell: Any) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")


def _error_lines(cell: Any) -> list[str]:
    """What the user sees of a failed cell: the error outputs and anything on stderr."""
    lines: list[str] = []
    for output in cell.outputs:
        if output.output_type == "error":
            lines += [f"{output.ename}: {output.evalue}", *output.traceback]
        elif output.get("name") == "stderr":
            lines += output.text.strip().splitlines()
    return lines


def test_magics_in_a_real_kernel_over_s3(
    s3_server: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = s3_server.settings_with(
        lake_url=f"s3://{s3_server.settings.s3.bucket}/{tmp_path.name}"
    )
    LakePublisher(LakeStore.from_settings(settings)).publish(
        SALES, dataset="sales", run_id="r1", flow_name="test"
    )
    use_lake(monkeypatch, settings, tmp_path)
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in CELLS.values()]
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=120,
        allow_errors=True,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    cells = dict(zip(CELLS, notebook.cells, strict=True))

    for name in ("load", "lake", "show_lake", "values", "bound", "show_bound", "after"):
        assert _error_lines(cells[name]) == [], name
    assert pl.read_json(_stdout(cells["show_lake"]).encode()).equals(SALES.sort("region"))
    assert json.loads(_stdout(cells["show_bound"])) == [
        {
            "by_name": 1,
            "by_floor": 2,
            "scaled": 121.25,
            "day": "2026-03-01",
            "by_list": 2,
            "injected": 0,
        }
    ]
    expected_errors = {
        "unknown_dataset": "UsageError: no published dataset 'nope'",
        "syntax_error": (
            'UsageError: Parser Error: syntax error at or near "SELEC" — LINE 1: SELEC 1'
        ),
        "missing_variable": "UsageError: $nowhere is used in the query",
    }
    for name, start in expected_errors.items():
        lines = _error_lines(cells[name])
        assert len(lines) == 1, (name, lines)
        assert lines[0].startswith(start), (name, lines)
    assert _stdout(cells["after"]).strip() == "42"
    html = next(o for o in cells["lake"].outputs if o.output_type == "execute_result")
    assert "3 rows (showing first 2)" in html["data"]["text/html"]
