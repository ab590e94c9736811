"""Signing in from a terminal or a notebook: `lakebook login` / `%lakebook login` exchange a
password for tokens and keep them in the credential file that `connect()` reads."""

from __future__ import annotations

from pathlib import Path

from lakebook.kernel.credentials import (
    CREDENTIALS_FILE_NAME,
    Credentials,
    fetch_token_pair,
    save_credentials,
)
from lakebook.kernel.gateway_http import TOKEN_PATH


def login(gateway_url: str, user: str, password: str, data_dir: Path) -> Credentials:
    """Signs in and saves the tokens; a wrong password raises LakebookAuthError."""
    form = {"username": user, "password": password}
    pair = fetch_token_pair(gateway_url, TOKEN_PATH, data=form)
    return save_credentials(data_dir / CREDENTIALS_FILE_NAME, gateway_url, user, pair)
