"""Which token a kernel uses: a JupyterLab panel sign-in's file first, then LAKEBOOK_TOKEN, then
the data dir's credential file; the lab server's own default never reads the sign-in's file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lakebook.common.private_files import write_private_json
from lakebook.kernel.credentials import (
    CREDENTIALS_FILE_NAME,
    CREDENTIALS_FILE_VARIABLE,
    TOKEN_VARIABLE,
    default_credentials,
    find_credentials,
)


def credential_file(path: Path, token: str) -> Path:
    later = datetime.now(UTC) + timedelta(hours=1)
    write_private_json(path, {"access_token": token, "expires_at": later.isoformat()})
    return path


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(TOKEN_VARIABLE, raising=False)
    credential_file(tmp_path / CREDENTIALS_FILE_NAME, "operator-token")
    return tmp_path


def test_the_panel_sign_in_file_wins_over_the_environment(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    signed_in = credential_file(data_dir / "runtime" / "lakebook-credentials.json", "ana-token")
    monkeypatch.setenv(CREDENTIALS_FILE_VARIABLE, str(signed_in))
    monkeypatch.setenv(TOKEN_VARIABLE, "environment-token")
    found = find_credentials(data_dir)
    assert (found.token, found.source) == ("ana-token", str(signed_in))
    assert default_credentials(data_dir).token == "environment-token"


def test_without_a_sign_in_file_kernels_use_the_default_token(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CREDENTIALS_FILE_VARIABLE, str(data_dir / "signed-out.json"))
    assert find_credentials(data_dir).token == "operator-token"
    monkeypatch.setenv(TOKEN_VARIABLE, "environment-token")
    assert find_credentials(data_dir).token == "environment-token"
