"""The API models in lakebook.common.api are the ones the gateway answers with and the kernel reads,
and the kernel imports them without the gateway's or Prefect's packages."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from fastapi.routing import APIRoute

from lakebook.common.api import (
    Cancelled,
    DatasetDetail,
    DatasetOut,
    DeploymentOut,
    Launched,
    LogOut,
    Me,
    ResultOut,
    RunOut,
    TokenPair,
    UploadOut,
)
from lakebook.gateway.api.routes import auth, flows, lake, runs
from lakebook.kernel.errors import LakebookError, parse_answer, parse_answers

# Every answer the kernel parses, by the route that sends it.
KERNEL_READS: dict[tuple[str, str], Any] = {
    ("POST", "/api/v1/auth/token"): TokenPair,
    ("POST", "/api/v1/auth/refresh"): TokenPair,
    ("GET", "/api/v1/auth/me"): Me,
    ("GET", "/api/v1/flows/deployments"): list[DeploymentOut],
    ("POST", "/api/v1/flows/{flow_name}/execute"): Launched,
    ("GET", "/api/v1/flows/runs"): list[RunOut],
    ("GET", "/api/v1/flows/runs/{run_id}"): RunOut,
    ("GET", "/api/v1/flows/runs/{run_id}/logs"): list[LogOut],
    ("GET", "/api/v1/flows/runs/{run_id}/result"): ResultOut,
    ("POST", "/api/v1/flows/runs/{run_id}/cancel"): Cancelled,
    ("POST", "/api/v1/lake/uploads"): UploadOut,
    ("GET", "/api/v1/lake/datasets"): list[DatasetOut],
    ("GET", "/api/v1/lake/datasets/{name}"): DatasetDetail,
}

# What only the gateway side needs; the kernel must import without any of it.
GATEWAY_ONLY = ("fastapi", "prefect", "sqlalchemy", "alembic", "uvicorn", "jwt", "argon2")
KERNEL_MODULES = (
    "lakebook.kernel",
    "lakebook.kernel.client",
    "lakebook.kernel.runs",
    "lakebook.kernel.catalog",
    "lakebook.kernel.login",
    "lakebook.kernel.account",
    "lakebook.kernel.magics",
    "lakebook.kernel.widgets",
)
_IMPORT_WITHOUT = """
import importlib, sys

blocked = {blocked!r}

class Blocker:
    def find_spec(self, name, path=None, target=None):
        if any(name == b or name.startswith(b + ".") for b in blocked):
            raise ImportError(f"the kernel imported {{name}}")
        return None

sys.meta_path.insert(0, Blocker())
for module in {modules!r}:
    importlib.import_module(module)
"""


def test_the_gateway_answers_with_the_models_the_kernel_reads() -> None:
    sent = {
        (method, route.path): route.response_model
        for router in (auth.router, flows.router, runs.router, lake.router)
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    assert {key: sent.get(key) for key in KERNEL_READS} == KERNEL_READS


@pytest.mark.services  # a fresh interpreter: seconds of imports
def test_the_kernel_imports_without_the_gateway_or_prefect() -> None:
    code = _IMPORT_WITHOUT.format(
        blocked=(*GATEWAY_ONLY, "lakebook.gateway"), modules=KERNEL_MODULES
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_an_answer_of_another_shape_is_a_lakebook_error_naming_the_model() -> None:
    with pytest.raises(LakebookError, match=r"not the RunOut .*flow_name: Field required"):
        parse_answer(RunOut, {"run_id": "r1"})
    with pytest.raises(LakebookError, match="not the list of DatasetOut"):
        parse_answers(DatasetOut, {"detail": "a proxy's error page"})


def test_a_dataset_s_runs_unpack_as_run_id_and_published_at() -> None:
    detail = parse_answer(
        DatasetDetail,
        {
            "name": "sales",
            "columns": {"region": "String"},
            "row_count": 1,
            "bytes": 10,
            "flow_name": None,
            "user": None,
            "inputs": [],
            "latest_run_id": "r2",
            "runs": [
                {"run_id": "r2", "published_at": "2026-11-22T05:00:01+00:00"},
                {"run_id": "r1", "published_at": "2026-11-22T05:00:00+00:00"},
            ],
        },
    )
    assert [run_id for run_id, _ in detail.runs] == ["r2", "r1"]
    assert detail.runs[1][1].isoformat() == "2026-11-22T05:00:00+00:00"
    assert detail.runs[0].run_id == "r2"
