"""Fixtures of the CLI's tests against the session's flow stack."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.utils.cli_client import lakebook
from tests.utils.services import FlowStack


@pytest.fixture
def signed_in(flow_stack: FlowStack, tmp_path: Path) -> Path:
    """A data dir whose credential file `lakebook login` wrote for a new analyst."""
    name, password = flow_stack.gateway.add_user("analyst")
    done = lakebook(
        flow_stack, tmp_path, "login", "--user", name, "--password-stdin", stdin=password + "\n"
    )
    assert done.returncode == 0, done.stderr
    assert f"as {name}" in done.stdout
    return tmp_path
