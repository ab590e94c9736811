"""Panel sign-ins: each Jupyter user's gateway tokens, kept in the Jupyter server (never sent to
the browser) and renewed with the refresh token shortly before the access token expires."""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any

from lakebook.common.api import Me, RefreshRequest, TokenPair
from lakebook.common.settings import SettingsError, get_settings
from lakebook.kernel.credentials import (
    CREDENTIALS_FILE_VARIABLE,
    TOKEN_VARIABLE,
    read_credentials_file,
    save_credentials,
)
from lakebook.kernel.errors import LakebookCredentialsError, LakebookError, parse_answer
from lakebook.kernel.gateway_http import (
    LOGOUT_PATH,
    ME_PATH,
    REFRESH_PATH,
    TOKEN_PATH,
    GatewayHTTP,
)
from lakebook.lab.gateway import GatewayError, gateway_token, panel_error

log = logging.getLogger(__name__)

STORE_SETTING = "lakebook_sessions"
SIGNED_OUT = "you signed out of lakebook; sign in to use the gateway again"
# Renew a minute before expiry, or after three quarters of a short-lived token's life.
RENEW_MARGIN = timedelta(minutes=1)
# The gateway refusing a refresh token (spent, revoked, expired) ends the session; other
# failures (gateway down, 5xx) leave it for the next request to try again.
REFUSALS = frozenset({HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN})


@dataclass(frozen=True)
class Session:
    """One Jupyter user's sign-in: who they are at the gateway, and their tokens."""

    user: str
    role: str
    gateway_url: str
    access_token: str
    refresh_token: str
    renew_at: datetime


def renew_time(expires_in: int) -> datetime:
    lifetime = timedelta(seconds=expires_in)
    return datetime.now(UTC) + max(lifetime - RENEW_MARGIN, lifetime * 3 / 4)


class SignInNeeded(GatewayError):
    """401: this Jupyter user signed out or their session ended; the panel shows the form."""

    def __init__(self, message: str) -> None:
        super().__init__(HTTPStatus.UNAUTHORIZED, message)


class SessionStore:
    """Sessions by Jupyter user name, and the one kernel credential file of this server.

    Kernels are shared by the server rather than owned by a Jupyter user, so the file holds
    the latest sign-in. It has its own gateway session (a second sign-in with the same
    password): kernels renew it themselves, and the server and the kernels never spend the
    same rotating refresh token (spending one twice makes the gateway revoke both).

    Multi-user (`one_person`), a second Jupyter user cannot sign in while the first is: the
    first one's kernels would start acting as the second, with the second's rights."""

    def __init__(self, kernel_file: Path, *, one_person: bool = False) -> None:
        self.kernel_file = kernel_file
        self.one_person = one_person
        self._sessions: dict[str, Session] = {}
        self._ended: dict[str, str] = {}
        self._renewing: dict[str, asyncio.Lock] = {}
        self._kernel_file_owner: str | None = None

    def session(self, owner: str) -> Session | None:
        return self._sessions.get(owner)

    def ended(self, owner: str) -> str | None:
        """Why `owner` has no session although they had one (signed out, refused renewal)."""
        return self._ended.get(owner)

    async def sign_in(self, owner: str, gateway_url: str, user: str, password: str) -> Session:
        """Exchanges the password for tokens; a refusal raises the gateway's LakebookError."""
        holder = self._kernel_file_owner
        if self.one_person and holder is not None and holder != owner:
            raise GatewayError(
                HTTPStatus.CONFLICT,
                f"this Jupyter server's kernels act as {holder}'s sign-in; a multi-user "
                "workspace runs one Jupyter server per person (e.g. JupyterHub)",
            )
        form = {"username": user, "password": password}
        pair = await fetch_token_pair(gateway_url, TOKEN_PATH, data=form)
        me = parse_answer(
            Me, await GatewayHTTP(gateway_url, pair.access_token).arequest("GET", ME_PATH)
        )
        kernel_pair = await fetch_token_pair(gateway_url, TOKEN_PATH, data=form)
        previous = self._sessions.get(owner)
        session = Session(
            user=me.name,
            role=me.role,
            gateway_url=gateway_url,
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
            renew_at=renew_time(pair.expires_in),
        )
        self._sessions[owner] = session
        self._ended.pop(owner, None)
        await self._replace_kernel_file(owner, gateway_url, me.name, kernel_pair)
        if previous is not None:
            await revoke_quietly(previous.gateway_url, previous.refresh_token)
        return session

    async def access_token(self, owner: str) -> str | None:
        """The user's access token, renewed first when it is about to expire; None when they
        have no session. Concurrent requests wait for one renewal instead of each spending
        the refresh token (the second would look like a stolen token to the gateway)."""
        session = self._sessions.get(owner)
        if session is None or datetime.now(UTC) < session.renew_at:
            return session.access_token if session else None
        async with self._renewing.setdefault(owner, asyncio.Lock()):
            session = self._sessions.get(owner)
            if session is not None and datetime.now(UTC) >= session.renew_at:
                session = await self._renew(owner, session)
        return session.access_token if session else None

    async def _renew(self, owner: str, session: Session) -> Session:
        request = RefreshRequest(refresh_token=session.refresh_token)
        try:
            pair = await fetch_token_pair(
                session.gateway_url, REFRESH_PATH, json=request.model_dump()
            )
        except LakebookError as error:
            if error.status not in REFUSALS:
                raise
            ended = (
                f"your lakebook session has ended (the gateway said: {error.detail}); sign in again"
            )
            if self._sessions.get(owner) is session:
                del self._sessions[owner]
                self._ended[owner] = ended
            raise SignInNeeded(ended) from error
        renewed = replace(
            session,
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
            renew_at=renew_time(pair.expires_in),
        )
        # A sign-in or sign-out while the gateway answered has replaced this session: keep theirs.
        if self._sessions.get(owner) is session:
            self._sessions[owner] = renewed
        return renewed

    async def sign_out(self, owner: str) -> None:
        """Forgets the user's tokens and kernel file, then revokes them at the gateway; they
        stay signed out (no fallback to the server's default token) until they sign in."""
        session = self._sessions.pop(owner, None)
        self._ended[owner] = SIGNED_OUT
        to_revoke = [self._forget_kernel_file(owner)]
        if session is not None:
            to_revoke.append((session.gateway_url, session.refresh_token))
        failures = [
            error
            for error in await asyncio.gather(
                *(revoke(*pair) for pair in to_revoke if pair is not None),
                return_exceptions=True,
            )
            if error is not None
        ]
        if failures:
            raise failures[0]

    async def _replace_kernel_file(
        self, owner: str, gateway_url: str, user: str, pair: TokenPair
    ) -> None:
        replaced = self._forget_kernel_file(self._kernel_file_owner)
        save_credentials(self.kernel_file, gateway_url, user, pair)
        self._kernel_file_owner = owner
        if replaced is not None:
            await revoke_quietly(*replaced)

    def _forget_kernel_file(self, owner: str | None) -> tuple[str, str] | None:
        """Removes the kernel file if `owner` wrote it: (gateway URL, its refresh token now,
        which kernels may have rotated) to revoke, or None."""
        if owner is None or owner != self._kernel_file_owner:
            return None
        self._kernel_file_owner = None
        try:
            credentials = read_credentials_file(self.kernel_file)
        except LakebookCredentialsError:
            return None  # already gone or unreadable: nothing left to revoke
        finally:
            self.kernel_file.unlink(missing_ok=True)
        if credentials.gateway_url is None or credentials.refresh_token is None:
            return None
        return credentials.gateway_url, credentials.refresh_token


async def fetch_token_pair(gateway_url: str, path: str, **body: Any) -> TokenPair:
    """POSTs to a token route of the gateway (sign-in or refresh) and reads the pair."""
    return parse_answer(TokenPair, await GatewayHTTP(gateway_url).arequest("POST", path, **body))


async def revoke(gateway_url: str, refresh_token: str) -> None:
    """Ends the gateway session a refresh token belongs to (its access tokens expire alone)."""
    request = RefreshRequest(refresh_token=refresh_token)
    await GatewayHTTP(gateway_url).asend("POST", LOGOUT_PATH, json=request.model_dump())


async def revoke_quietly(gateway_url: str, refresh_token: str) -> None:
    """revoke() for tokens being replaced by a new sign-in, which must not fail because of it."""
    try:
        await revoke(gateway_url, refresh_token)
    except LakebookError as error:
        log.warning("lakebook: a replaced gateway session stays valid until it expires: %s", error)


async def user_gateway_token(store: SessionStore, owner: str) -> str:
    """The token to call the gateway with for this Jupyter user: their sign-in's, else (if they
    never signed out) the server's default, LAKEBOOK_TOKEN or `lakebook up`'s operator file."""
    try:
        token = await store.access_token(owner)
    except LakebookError as error:
        raise panel_error(error, f"POST {REFRESH_PATH}") from error
    if token is not None:
        return token
    ended = store.ended(owner)
    if ended is not None:
        raise SignInNeeded(ended)
    return gateway_token()


def install_session_store(settings: dict[str, Any], runtime_dir: str, port: int) -> None:
    """Puts the store in the web app's settings and points this server's kernels (which
    inherit its environment) at the kernel credential file a sign-in writes."""
    kernel_file = Path(runtime_dir) / f"lakebook-credentials-{port}.json"
    # Left by an earlier server on this port: its sessions ended with it.
    kernel_file.unlink(missing_ok=True)
    os.environ[CREDENTIALS_FILE_VARIABLE] = str(kernel_file)
    one_person = multi_user()
    if one_person and os.environ.pop(TOKEN_VARIABLE, None) is not None:
        # A token in the server's environment would reach every kernel: one shared identity.
        log.warning("lakebook: multi-user: %s is not passed to kernels or used", TOKEN_VARIABLE)
    settings[STORE_SETTING] = SessionStore(kernel_file, one_person=one_person)


def multi_user() -> bool:
    """LAKEBOOK_MULTI_USER; invalid settings count as off here (every handler reports them)."""
    try:
        return get_settings().stack.multi_user
    except SettingsError:
        return False


def session_store(settings: dict[str, Any]) -> SessionStore:
    store = settings.get(STORE_SETTING)
    if not isinstance(store, SessionStore):
        raise GatewayError(
            HTTPStatus.SERVICE_UNAVAILABLE, "the lakebook server extension was not loaded"
        )
    return store
