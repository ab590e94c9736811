"""`lakebook user …` as an operator runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# Runs the `lakebook` command as processes (seconds each).
pytestmark = pytest.mark.services

LAKEBOOK = [sys.executable, "-m", "lakebook.cli.main"]


def lakebook(data_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEBOOK_")}
    env["LAKEBOOK_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [*LAKEBOOK, *args], env=env, input=stdin, capture_output=True, text=True, check=False
    )


def test_add_list_disable_enable(tmp_path: Path) -> None:
    added = lakebook(tmp_path, "user", "add", "ana", "--role", "analyst")
    assert added.returncode == 0, added.stderr
    assert "password (shown once):" in added.stdout
    from_stdin = lakebook(
        tmp_path,
        "user",
        "add",
        "bo",
        "--role",
        "viewer",
        "--password-stdin",
        stdin="a-long-password\n",
    )
    assert from_stdin.returncode == 0, from_stdin.stderr
    assert "password" not in from_stdin.stdout

    assert lakebook(tmp_path, "user", "disable", "bo").returncode == 0
    listing = lakebook(tmp_path, "user", "list").stdout.splitlines()
    assert [line.split() for line in listing] == [
        ["ana", "analyst", "active"],
        ["bo", "viewer", "disabled"],
    ]
    assert lakebook(tmp_path, "user", "enable", "bo").returncode == 0
    assert "bo viewer active" in " ".join(lakebook(tmp_path, "user", "list").stdout.split())


def test_bad_input_exits_2_with_a_message(tmp_path: Path) -> None:
    cases = {
        ("user", "add", "ana", "--role", "root"): "invalid choice: 'root'",
        ("user", "add", "Ana Smith", "--role", "viewer"): "user name 'Ana Smith' is not allowed",
        ("user", "disable", "ghost"): "no user 'ghost'",
    }
    for args, message in cases.items():
        result = lakebook(tmp_path, *args)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr
        assert "Traceback" not in result.stderr
    short = lakebook(
        tmp_path, "user", "add", "cy", "--role", "viewer", "--password-stdin", stdin="short\n"
    )
    assert short.returncode == 2
    assert "at least 12 characters" in short.stderr
    assert lakebook(tmp_path, "user", "add", "dee", "--role", "viewer").returncode == 0
    again = lakebook(tmp_path, "user", "add", "dee", "--role", "viewer")
    assert again.returncode == 2
    assert "already exists" in again.stderr
