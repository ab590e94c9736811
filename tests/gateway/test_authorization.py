"""The gateway's authorisation rules, as pure functions: roles (require_role) and ownership."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI, HTTPException

from lakebook.common.api import Role
from lakebook.gateway.api.deps import (
    Caller,
    CurrentUser,
    check_access,
    get_current_user,
    require_role,
)

EXPIRES = datetime(2030, 1, 1, tzinfo=UTC)
# Module level: FastAPI resolves the (postponed) annotations of routes in the module's globals.
Launcher = Annotated[Caller, Depends(require_role("analyst", action="launch flows"))]


def caller(role: Role, user_id: int = 7, name: str = "ana") -> Caller:
    return Caller(user_id, name, role, EXPIRES)


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_require_role_gives_back_a_caller_with_an_allowed_role(role: Role) -> None:
    dependency = require_role("analyst", "admin", action="launch flows")
    user = caller(role)
    assert asyncio.run(dependency(user)) is user


def test_require_role_refuses_other_roles_with_403_naming_role_and_action() -> None:
    dependency = require_role("analyst", "admin", action="launch flows")
    with pytest.raises(HTTPException) as refused:
        asyncio.run(dependency(caller("viewer")))
    assert refused.value.status_code == 403
    assert refused.value.detail == "role 'viewer' cannot launch flows"


def test_require_role_admin_only_refuses_analysts() -> None:
    with pytest.raises(HTTPException, match="cannot manage users") as refused:
        asyncio.run(require_role("admin", action="manage users")(caller("analyst")))
    assert refused.value.status_code == 403


@pytest.mark.parametrize("role", ["viewer", "analyst"])
def test_a_user_may_access_only_their_own_by_id_or_name(role: Role) -> None:
    user = caller(role, user_id=7, name="ana")
    assert user.may_access(7)
    assert user.may_access("ana")
    assert not user.may_access(8)
    assert not user.may_access("bo")
    # An id that happens to spell like a name (or the reverse) is not the same user.
    assert not user.may_access("7")
    assert not user.may_access(None)


def test_an_admin_may_access_everything_even_what_nobody_owns() -> None:
    admin = caller("admin", user_id=1, name="root")
    assert admin.may_access(7)
    assert admin.may_access("ana")
    assert admin.may_access(None)


def test_check_access_answers_404_not_403_for_someone_elses_object() -> None:
    user = caller("analyst", user_id=7, name="ana")
    check_access(user, 7, "no run 'r1'")
    check_access(user, "ana", "no schedule 'nightly'")
    with pytest.raises(HTTPException) as hidden:
        check_access(user, 8, "no run 'r2'")
    assert (hidden.value.status_code, hidden.value.detail) == (404, "no run 'r2'")
    with pytest.raises(HTTPException) as unknown:
        check_access(user, None, "no upload 'x'")
    assert (unknown.value.status_code, unknown.value.detail) == (404, "no upload 'x'")
    check_access(caller("admin"), None, "no upload 'x'")


def test_a_role_dependency_signs_the_caller_in_once_per_request() -> None:
    # Signing in spends rate-limit budget: the role check must reuse the request's caller.
    signed_in: list[Caller] = []

    async def sign_in() -> Caller:
        signed_in.append(caller("analyst"))
        return signed_in[-1]

    app = FastAPI()

    @app.get("/both")
    async def both(first: CurrentUser, user: Launcher) -> dict[str, bool]:
        return {"same": user is first}

    app.dependency_overrides[get_current_user] = sign_in

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            return await client.get("/both")

    assert asyncio.run(call()).json() == {"same": True}
    assert len(signed_in) == 1
