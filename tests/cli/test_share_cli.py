"""`lakebook share` as a user types it, against the real gateway, Prefect, runner and lake."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from lakebook.lake.publisher import LakePublisher
from lakebook.lake.store import LakeStore
from tests.utils.cli_client import lakebook
from tests.utils.services import FlowStack


def test_share_shows_adds_and_removes_grants(flow_stack: FlowStack, signed_in: Path) -> None:
    me = lakebook(flow_stack, signed_in, "share", "cli_nothing_here")
    assert me.returncode == 2
    assert "no dataset 'cli_nothing_here'" in me.stderr
    # A dataset the lake had before owners, published by nobody: adopted, readable by all.
    lake = LakePublisher(LakeStore.from_settings(flow_stack.gateway.settings))
    lake.publish(pl.DataFrame({"n": [1]}), dataset="cli_seed", run_id="s1", flow_name="x")
    shown = lakebook(flow_stack, signed_in, "share", "cli_seed")
    assert shown.returncode == 2, shown.stdout
    assert "only an admin can change whom 'cli_seed' is shared with" in shown.stderr

    colleague, _ = flow_stack.gateway.add_user("analyst")
    admin, password = flow_stack.gateway.add_user("admin")
    admin_dir = signed_in / "admin"
    admin_dir.mkdir()
    login = lakebook(
        flow_stack, admin_dir, "login", admin, "--password-stdin", stdin=password + "\n"
    )
    assert login.returncode == 0, login.stderr

    shared = lakebook(
        flow_stack, admin_dir, "share", "cli_seed", "--with", colleague, "--access", "write"
    )
    assert shared.returncode == 0, shared.stderr
    assert "cli_seed: owned by nobody" in shared.stdout
    lines = [line.split() for line in shared.stdout.splitlines()[1:]]
    assert [line[:2] for line in lines] == [["everyone", "read"], [colleague, "write"]]

    removed = lakebook(flow_stack, admin_dir, "share", "cli_seed", "--everyone", "--remove")
    assert removed.returncode == 0, removed.stderr
    assert "everyone" not in removed.stdout
    listed = lakebook(flow_stack, signed_in, "share", "cli_seed")
    assert listed.returncode == 2
    assert "no dataset 'cli_seed'" in listed.stderr

    bad = lakebook(flow_stack, admin_dir, "share", "cli_seed", "--remove")
    assert bad.returncode == 2
    assert "--remove needs --with USER or --everyone" in bad.stderr
