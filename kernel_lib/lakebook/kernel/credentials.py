"""The kernel's gateway token: the file of a JupyterLab panel sign-in (LAKEBOOK_CREDENTIALS_FILE),
else LAKEBOOK_TOKEN, else the credential file `lakebook up` or `lakebook login` wrote (mode
0600); an expired access token is renewed there with the refresh token, without a password."""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from lakebook.common.api import RefreshRequest, TokenPair
from lakebook.common.private_files import write_private_json
from lakebook.kernel.errors import (
    LakebookConnectionError,
    LakebookCredentialsError,
    LakebookError,
    parse_answer,
)
from lakebook.kernel.gateway_http import REFRESH_PATH, GatewayHTTP

TOKEN_VARIABLE = "LAKEBOOK_TOKEN"
# Set by the lakebook Jupyter server extension for the kernels it starts; the file exists while
# someone is signed in in the panel, so those kernels act as that user.
CREDENTIALS_FILE_VARIABLE = "LAKEBOOK_CREDENTIALS_FILE"
CREDENTIALS_FILE_NAME = "credentials.json"


@dataclass(frozen=True)
class Credentials:
    """A token, where it came from (for error messages) and the gateway it was issued for."""

    token: str
    source: str
    gateway_url: str | None = None
    user: str | None = None
    expires_at: datetime | None = None
    refresh_token: str | None = None

    @property
    def expired(self) -> bool:
        # A minute early: a token that expires in flight is refused all the same.
        margin = timedelta(minutes=1)
        return self.expires_at is not None and self.expires_at <= datetime.now(UTC) + margin


MULTI_USER_SIGN_IN = (
    "this workspace is multi-user (LAKEBOOK_MULTI_USER): sign in with your own account "
    "(the lakebook panel, or `%lakebook login NAME`)"
)


def find_credentials(data_dir: Path, *, multi_user: bool = False) -> Credentials:
    """The panel sign-in's file when there is one (it names the user of this Jupyter server,
    so it wins over the server's environment), else default_credentials().

    Under a multi-user Jupyter server (it names a sign-in file), never the data dir's file:
    that is the operator's, not this kernel's person's. LAKEBOOK_TOKEN still counts there (a
    token the person set themselves; the server drops its own). Outside one (a terminal, a
    notebook run's kernel) the data dir's file is the person's own `lakebook login`."""
    signed_in = signed_in_file()
    if signed_in is not None and signed_in.exists():
        return usable_credentials(signed_in)
    if multi_user and signed_in is not None:
        credentials = environment_credentials()
        if credentials is None:
            raise LakebookCredentialsError(MULTI_USER_SIGN_IN)
        return credentials
    return default_credentials(data_dir)


def signed_in_file() -> Path | None:
    """The panel sign-in's credential file the Jupyter server named for its kernels, if any."""
    signed_in = os.environ.get(CREDENTIALS_FILE_VARIABLE, "").strip()
    return Path(signed_in) if signed_in else None


def default_credentials(data_dir: Path) -> Credentials:
    """LAKEBOOK_TOKEN wins; otherwise the credential file `lakebook up` or `lakebook login`
    wrote in the data dir."""
    return environment_credentials() or usable_credentials(data_dir / CREDENTIALS_FILE_NAME)


def environment_credentials() -> Credentials | None:
    """LAKEBOOK_TOKEN, when set."""
    token = os.environ.get(TOKEN_VARIABLE, "").strip()
    return Credentials(token=token, source=f"${TOKEN_VARIABLE}") if token else None


def usable_credentials(path: Path) -> Credentials:
    """A credential file's token, renewed first if it has expired and holds a refresh token."""
    credentials = read_credentials_file(path)
    if credentials.expired and credentials.refresh_token:
        return refresh(path, credentials)
    if credentials.expired:
        raise LakebookCredentialsError(
            f"the token in {path} expired at {credentials.expires_at}; run `lakebook login`, "
            f"restart `lakebook up` or set {TOKEN_VARIABLE}"
        )
    return credentials


def refresh(path: Path, credentials: Credentials) -> Credentials:
    """Spends the saved refresh token for a new pair and saves it (refresh tokens rotate)."""
    if not credentials.refresh_token or credentials.gateway_url is None:
        raise LakebookCredentialsError(
            f"the token in {path} has expired and cannot be renewed; run `lakebook login`"
        )
    try:
        request = RefreshRequest(refresh_token=credentials.refresh_token)
        pair = fetch_token_pair(credentials.gateway_url, REFRESH_PATH, json=request.model_dump())
    except LakebookConnectionError:
        raise
    except LakebookError as error:  # refused: the session ended (logout, reuse, expiry)
        raise LakebookCredentialsError(
            f"your session has ended ({error.message}); "
            "run `lakebook login` (or `%lakebook login`) again"
        ) from None
    return save_credentials(path, credentials.gateway_url, credentials.user, pair)


def fetch_token_pair(gateway_url: str, path: str, **body: Any) -> TokenPair:
    """POSTs to a token route of the gateway (sign-in or refresh) and reads the pair it gives."""
    http = GatewayHTTP(gateway_url)
    try:
        return parse_answer(TokenPair, http.request("POST", path, **body))
    finally:
        http.close()


def save_credentials(
    path: Path, gateway_url: str, user: str | None, pair: TokenPair
) -> Credentials:
    """Writes a token pair to the credential file, readable by its owner only."""
    expires_at = datetime.now(UTC) + timedelta(seconds=pair.expires_in)
    write_private_json(
        path,
        {
            "gateway_url": gateway_url,
            "user": user,
            "access_token": pair.access_token,
            "refresh_token": pair.refresh_token,
            "expires_at": expires_at.isoformat(),
        },
    )
    return Credentials(
        token=pair.access_token,
        source=str(path),
        gateway_url=gateway_url,
        user=user,
        expires_at=expires_at,
        refresh_token=pair.refresh_token,
    )


def read_credentials_file(path: Path) -> Credentials:
    """The token in a credential file, refused if others may read it or it has expired."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise LakebookCredentialsError(
            f"no gateway token: {path} does not exist and {TOKEN_VARIABLE} is not set "
            "(start the stack with `lakebook up`, or pass connect(token=...))"
        ) from None
    # Like ssh with private keys: a token anyone on the machine can read is not a secret.
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise LakebookCredentialsError(
            f"{path} is readable by other users (mode {stat.S_IMODE(mode):o}); "
            f"run `chmod 600 {path}`"
        )
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        token = str(raw["access_token"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise LakebookCredentialsError(f"cannot read a token from {path}: {error!r}") from error
    expires_at = _timestamp(raw.get("expires_at"))
    refresh_token = raw.get("refresh_token")
    return Credentials(
        token=token,
        source=str(path),
        gateway_url=raw.get("gateway_url"),
        user=raw.get("user"),
        expires_at=expires_at,
        refresh_token=refresh_token if isinstance(refresh_token, str) else None,
    )


def _timestamp(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
