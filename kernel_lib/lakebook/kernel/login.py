"""Signing in from a terminal or a notebook: `lakebook login` / `%lakebook login` exchange a
password for tokens and keep them in the credential file that `connect()` reads."""

from __future__ import annotations

from pathlib import Path

from lakebook.common.settings import Settings
from lakebook.kernel.credentials import (
    CREDENTIALS_FILE_NAME,
    Credentials,
    fetch_token_pair,
    save_credentials,
    signed_in_file,
)
from lakebook.kernel.gateway_http import TOKEN_PATH


def login(settings: Settings, gateway_url: str, user: str, password: str) -> Credentials:
    """Signs in and saves the tokens (`login_file`); a wrong password raises LakebookAuthError."""
    form = {"username": user, "password": password}
    pair = fetch_token_pair(gateway_url, TOKEN_PATH, data=form)
    return save_credentials(login_file(settings), gateway_url, user, pair)


def login_file(settings: Settings) -> Path:
    """Where a sign-in is kept: the data dir's credential file, which the CLI and kernels read;
    under a multi-user Jupyter server, its sign-in file instead (the only one `connect()` reads
    there), so a kernel's or a Lab terminal's sign-in never replaces the operator's file."""
    signed_in = signed_in_file()
    if settings.stack.multi_user and signed_in is not None:
        return signed_in
    return settings.data_dir / CREDENTIALS_FILE_NAME
