"""Typed dependencies of the API routes: settings, database session, the signed-in user and
what they may do (`require_role`, `check_access`)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, cast

from fastapi import Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from lakebook.common.api import Role
from lakebook.common.settings import Settings, SettingsError, get_settings
from lakebook.gateway.core.rate_limit import RateLimiter, retry_after_header
from lakebook.gateway.core.security import InvalidTokenError, VerifiedTokens
from lakebook.gateway.core.throttle import LoginThrottle
from lakebook.gateway.db import session_scope
from lakebook.gateway.orchestrator import Orchestrator
from lakebook.gateway.run_events import RunWatcher
from lakebook.gateway.users import find_user
from lakebook.lake.store import LakeStore

API_PREFIX = "/api/v1"

# auto_error=False: a missing token gets our own 401 message rather than FastAPI's default.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl=f"{API_PREFIX}/auth/token", auto_error=False)


async def current_settings() -> Settings:
    """The process settings; async so that FastAPI runs it inline instead of in a thread."""
    return get_settings()


SettingsDep = Annotated[Settings, Depends(current_settings)]


def get_session(settings: SettingsDep) -> Iterator[Session]:
    """A database session per request, committed when the request succeeds."""
    with session_scope(settings.gateway.database) as session:
        yield session


# scope="function": the commit happens before the response is sent, so a client that acts on
# a 202 (e.g. reads the run it just launched) always finds what was written.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


@dataclass(frozen=True)
class Caller:
    """The signed-in user behind a request."""

    id: int
    name: str
    role: Role
    token_expires_at: datetime

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def may_access(self, owner: int | str | None) -> bool:
        """Whether the caller may act on what `owner` (a user id or name; None: nobody known)
        owns: their own things, and everything if they are an admin."""
        return self.is_admin or (owner is not None and owner in (self.id, self.name))


async def get_rate_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.rate_limiter
    return limiter


async def get_current_user(
    request: Request,
    settings: SettingsDep,
    limiter: Annotated[RateLimiter, Depends(get_rate_limiter)],
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> Caller:
    """The caller, from a valid bearer token of an active user, within their request budget."""
    if not token:
        raise unauthorized("not signed in: send 'Authorization: Bearer <access token>'")
    verified: VerifiedTokens = request.app.state.verified_tokens
    try:
        claims = verified.claims(settings, token)
    except InvalidTokenError as error:
        raise unauthorized(str(error)) from error
    except SettingsError as error:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, f"gateway is misconfigured: {error}"
        ) from error
    wait = await limiter.wait_time(claims.subject)
    if wait is not None:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "too many requests; slow down",
            headers={"Retry-After": retry_after_header(wait)},
        )
    request.state.user_name = claims.subject
    active_users: ActiveUsers = request.app.state.active_users
    cached = active_users.get(claims.subject)
    if cached is _UNKNOWN:
        # Loaded at most every LAKEBOOK_USER_CACHE_SECONDS: disabling takes effect that fast.
        user = await run_in_threadpool(_active_user, settings.gateway.database, claims.subject)
        active_users.put(claims.subject, user)
    else:
        user = cast(tuple[int, str] | None, cached)
    if user is None:
        raise unauthorized("account is disabled or no longer exists")
    # The stored role wins: a demoted user loses rights before their token expires.
    return Caller(user[0], claims.subject, cast(Role, user[1]), claims.expires_at)


_UNKNOWN = object()


class ActiveUsers:
    """A short-lived memory of who is active: most requests need no database round trip."""

    def __init__(self, ttl_seconds: float, max_entries: int = 10_000) -> None:
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, tuple[int, str] | None]] = {}

    def get(self, name: str) -> object:
        entry = self._entries.get(name)
        if entry is None or time.monotonic() - entry[0] > self.ttl:
            return _UNKNOWN
        return entry[1]

    def put(self, name: str, user: tuple[int, str] | None) -> None:
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[name] = (time.monotonic(), user)


def _active_user(database_url: str, name: str) -> tuple[int, str] | None:
    # A session of its own, closed at once: long responses (SSE) must not hold a connection.
    with session_scope(database_url) as session:
        user = find_user(session, name)
        if user is None or user.disabled:
            return None
        return user.id, user.role


CurrentUser = Annotated[Caller, Depends(get_current_user)]


def require_role(*roles: Role, action: str) -> Callable[[Caller], Awaitable[Caller]]:
    """A dependency giving the caller if their role is one of `roles`, else 403 "role … cannot
    {action}"; use it as `Annotated[Caller, Depends(require_role(...))]` in place of CurrentUser."""
    allowed = frozenset(roles)

    async def caller_with_role(user: CurrentUser) -> Caller:
        if user.role not in allowed:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"role {user.role!r} cannot {action}")
        return user

    return caller_with_role


def check_access(caller: Caller, owner: int | str | None, detail: str) -> None:
    """404 with `detail` unless the caller may act on what `owner` owns (`Caller.may_access`):
    someone else's object answers exactly like a missing one, so ids are not an oracle."""
    if not caller.may_access(owner):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail)


async def get_orchestrator(request: Request) -> Orchestrator:
    orchestrator: Orchestrator = request.app.state.orchestrator
    return orchestrator


OrchestratorDep = Annotated[Orchestrator, Depends(get_orchestrator)]


async def get_run_watcher(request: Request) -> RunWatcher:
    watcher: RunWatcher = request.app.state.run_watcher
    return watcher


RunWatcherDep = Annotated[RunWatcher, Depends(get_run_watcher)]


async def get_login_throttle(request: Request) -> LoginThrottle:
    throttle: LoginThrottle = request.app.state.login_throttle
    return throttle


LoginThrottleDep = Annotated[LoginThrottle, Depends(get_login_throttle)]


def unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"}
    )


async def get_lake_store(request: Request, settings: SettingsDep) -> LakeStore:
    """The app's one lake client, made on first use from the settings."""
    store: LakeStore | None = getattr(request.app.state, "lake_store", None)
    if store is None:
        try:
            store = LakeStore.from_settings(settings)
        except SettingsError as error:
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE, f"the lake is not configured: {error}"
            ) from error
        request.app.state.lake_store = store
    return store


LakeStoreDep = Annotated[LakeStore, Depends(get_lake_store)]
