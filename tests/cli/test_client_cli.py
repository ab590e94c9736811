"""`lakebook login` and `lakebook run` as a user types them, against the real gateway, Prefect
server and runner; and the saved token renewed with its refresh token once it expires."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nbformat
import pytest

from lakebook.kernel.client import connect
from lakebook.kernel.errors import LakebookCredentialsError
from tests.utils.cli_client import LAKEBOOK, lakebook
from tests.utils.services import FlowStack


def saved(data_dir: Path) -> dict[str, str]:
    content: dict[str, str] = json.loads((data_dir / "credentials.json").read_text())
    return content


def test_login_saves_a_private_token_pair(signed_in: Path) -> None:
    path = signed_in / "credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert {"access_token", "refresh_token", "expires_at", "gateway_url"} <= set(saved(signed_in))
    assert not list(signed_in.glob(".*partial")), "no half-written credential file is left"


def test_login_takes_the_user_name_as_an_argument_too(
    flow_stack: FlowStack, tmp_path: Path
) -> None:
    """As `%lakebook login USER` does in a kernel."""
    name, password = flow_stack.gateway.add_user("analyst")
    done = lakebook(flow_stack, tmp_path, "login", name, "--password-stdin", stdin=password + "\n")
    assert done.returncode == 0, done.stderr
    assert saved(tmp_path)["user"] == name
    both = lakebook(flow_stack, tmp_path, "login", name, "--user", "someone_else")
    assert both.returncode == 2
    assert "two user names" in both.stderr


def test_wrong_password_exits_2_and_saves_nothing(flow_stack: FlowStack, tmp_path: Path) -> None:
    name, _ = flow_stack.gateway.add_user("analyst")
    done = lakebook(
        flow_stack, tmp_path, "login", "--user", name, "--password-stdin", stdin="wrong\n"
    )
    assert done.returncode == 2
    assert "incorrect user name or password" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "credentials.json").exists()


def test_run_follows_the_run_to_completion(flow_stack: FlowStack, signed_in: Path) -> None:
    done = lakebook(flow_stack, signed_in, "run", "ping", "-p", "message=from-the-shell")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "launched ping run" in done.stdout
    assert done.stdout.rstrip().endswith("ended COMPLETED")
    assert "Running" in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "ping", "-p", "wait_seconds=-1"], "wait_seconds"),
        (["run", "ping", "-p", "colour=red"], "colour"),
        (["run", "no_such_flow"], "no flow named 'no_such_flow'"),
        # Refused before a run exists, as `lakebook schedule` refuses it (issue 23).
        (
            ["run", "ingest_upload", "-p", "upload_key=raw/x.csv", "-p", "dataset=Sales"],
            "dataset name 'Sales' is not allowed",
        ),
        (["run", "ping", "-p", "message"], "write parameters as key=value"),
    ],
)
def test_bad_runs_exit_2_with_the_reason(
    flow_stack: FlowStack, signed_in: Path, args: list[str], message: str
) -> None:
    done = lakebook(flow_stack, signed_in, *args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_a_notebook_parameter_of_the_wrong_type_exits_2_before_a_run_exists(
    flow_stack: FlowStack, signed_in: Path
) -> None:
    """As `lakebook schedule` refuses it: the same check, at launch (issue 23)."""
    workspace = flow_stack.gateway.settings.flows.notebook_dir
    assert workspace is not None
    cell = nbformat.v4.new_code_cell("rows = 10")
    cell.metadata["tags"] = ["parameters"]
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), workspace / "cli_typed.ipynb")
    args = ["-p", "notebook=cli_typed.ipynb", "-p", 'parameters={"rows": "ten"}']
    done = lakebook(flow_stack, signed_in, "run", "run_notebook", *args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "parameters.rows: parameter 'rows' must be int (default 10), got str 'ten'" in (
        done.stderr
    )
    assert "launched" not in done.stdout
    assert "Traceback" not in done.stderr


def test_a_run_that_fails_prints_one_line_per_error(flow_stack: FlowStack, signed_in: Path) -> None:
    """The run's failure shows as its first line; the traceback stays in the run's log."""
    # Every row fails its column's type: the run fails (a missing upload, used here before,
    # is now refused before the run exists).
    csv_file = signed_in / "bad.csv"
    csv_file.write_text("n\none\ntwo\n")
    settings = flow_stack.gateway.settings.with_values(data_dir=signed_in)
    with connect(settings=settings) as client:
        key = client.upload(csv_file).key
    args = ["run", "ingest_upload", "-p", f"upload_key={key}", "-p", "dataset=never_made"]
    args += ["-p", 'column_types={"n": "Int64"}']
    done = lakebook(flow_stack, signed_in, *args)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "ended FAILED" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    assert "--debug" in done.stdout, "the way to the full traceback is named"


def test_usage_errors_and_help_print_no_traceback() -> None:
    for args in (["--help"], ["frob"], ["run"]):
        done = subprocess.run(
            [*LAKEBOOK, *args], capture_output=True, text=True, check=False, timeout=60
        )
        assert done.returncode in (0, 2), done.stderr
        assert "Traceback" not in done.stderr


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """`lakebook status | head -0`: the reader is gone before anything is printed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEBOOK_")}
    env["LAKEBOOK_DATA_DIR"] = str(tmp_path)
    reader, writer = os.pipe()
    os.close(reader)
    try:
        done = subprocess.run(
            [*LAKEBOOK, "status"],
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            check=False,
            timeout=60,
        )
    finally:
        os.close(writer)
    assert done.returncode == 141, done.stderr
    assert done.stderr == ""


def test_an_expired_token_is_renewed_with_the_refresh_token(
    flow_stack: FlowStack, signed_in: Path
) -> None:
    path = signed_in / "credentials.json"
    content = saved(signed_in)
    first_refresh = content["refresh_token"]
    content["expires_at"] = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    path.write_text(json.dumps(content))
    path.chmod(0o600)

    done = lakebook(flow_stack, signed_in, "run", "ping", "--no-wait")
    assert done.returncode == 0, done.stderr
    renewed = saved(signed_in)
    assert renewed["refresh_token"] != first_refresh, "refresh tokens rotate"
    assert datetime.fromisoformat(renewed["expires_at"]) > datetime.now(UTC)

    # The spent refresh token cannot be used again: that session is over (the family revoked).
    renewed["refresh_token"] = first_refresh
    renewed["expires_at"] = content["expires_at"]
    path.write_text(json.dumps(renewed))
    with pytest.raises(LakebookCredentialsError, match="your session has ended.*lakebook login"):
        connect(settings=flow_stack.gateway.settings.with_values(data_dir=signed_in))


def test_reports_lists_the_users_notebook_reports(flow_stack: FlowStack, signed_in: Path) -> None:
    empty = lakebook(flow_stack, signed_in, "reports")
    assert empty.returncode == 0, empty.stderr
    assert "no reports yet" in empty.stderr
    workspace = flow_stack.gateway.settings.flows.notebook_dir
    assert workspace is not None
    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cells = [nbformat.v4.new_code_cell("1 / 0")]
    document = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": kernelspec})
    nbformat.write(document, workspace / "cli_report.ipynb")
    ran = lakebook(flow_stack, signed_in, "run", "run_notebook", "-p", "notebook=cli_report.ipynb")
    assert ran.returncode == 1, ran.stdout  # the cell raised: the run failed, its report is there
    listed = lakebook(flow_stack, signed_in, "reports")
    assert listed.returncode == 0, listed.stderr
    (line,) = listed.stdout.splitlines()
    assert "failed" in line
    assert "cli_report" in line
    assert "cell 0: ZeroDivisionError: division by zero" in line
    assert "(schedule" not in line  # launched, not scheduled
    by_schedule = lakebook(flow_stack, signed_in, "reports", "--schedule", "nightly")
    assert by_schedule.returncode == 0, by_schedule.stderr
    assert by_schedule.stdout == ""
    assert "no reports of a schedule named 'nightly' yet" in by_schedule.stderr
    refused = lakebook(flow_stack, signed_in, "reports", "--limit", "500")
    assert refused.returncode == 2
    assert "500 is not between 1 and 100" in refused.stderr
