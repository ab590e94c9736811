"""Property-based fuzzing of every operation in the gateway's own OpenAPI schema: never a 5xx."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.utils.services import FlowStack

EXAMPLES_PER_OPERATION = 25


# Hypothesis flags any change of the global `random` state while a case is drawn. Prefect's
# background threads left by earlier in-process flow runs (event and log workers) may touch it
# at that moment; nothing in these strategies does, so the warning would only make this flaky.
@pytest.mark.filterwarnings("ignore:Do not use the `random` module inside strategies")
def test_no_operation_answers_5xx(flow_stack: FlowStack) -> None:
    # Loaded here rather than with schemathesis' pytest plugin, whose lazy fixture loader does
    # not work with pytest 9.
    base_url = flow_stack.gateway.url
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:
        # A fresh admin per operation: its own rate-limit budget, and every object is visible.
        fuzz(operation, base_url, flow_stack.login("admin"))


def fuzz(operation: Any, base_url: str, headers: dict[str, str]) -> None:
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def no_server_error(case: schemathesis.Case) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        case.validate_response(response, checks=(not_a_server_error,))

    no_server_error()


def test_schema_lists_the_api(flow_stack: FlowStack) -> None:
    paths = httpx.get(f"{flow_stack.gateway.url}/openapi.json").json()["paths"]
    expected = {"/api/v1/auth/token", "/api/v1/flows/{flow_name}/execute", "/api/v1/lake/uploads"}
    assert expected <= set(paths)
