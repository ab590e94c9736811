"""Users: creation, password checks, roles and disabling."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import get_args

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from lakebook.common.api import Role
from lakebook.gateway.core.refresh import revoke_user_tokens
from lakebook.gateway.models import User

MIN_PASSWORD_LENGTH = 12
_USER_NAME = re.compile(r"^[a-z][a-z0-9_.-]{1,63}$")
_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps unknown names as slow as known ones.
_DUMMY_HASH = _hasher.hash("lakebook-no-such-user")


class UserError(ValueError):
    """A user operation that cannot be done as asked; the message says why."""


def hash_password(password: str) -> str:
    """An argon2id hash; slow on purpose."""
    return _hasher.hash(password)


def check_new_user(name: str, role: str, password: str) -> None:
    if not _USER_NAME.fullmatch(name):
        raise UserError(
            f"user name {name!r} is not allowed: use 2-64 lower-case letters, digits, "
            "'_', '.' or '-', starting with a letter"
        )
    if role not in get_args(Role):
        raise UserError(f"role {role!r} is not one of {', '.join(get_args(Role))}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")


def create_user(session: Session, name: str, role: str, password: str) -> User:
    check_new_user(name, role, password)
    if find_user(session, name) is not None:
        raise UserError(f"user {name!r} already exists")
    user = User(
        name=name,
        role=role,
        password_hash=hash_password(password),
        disabled=False,
        created_at=datetime.now(UTC),
    )
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, name: str) -> User | None:
    return session.scalars(select(User).where(User.name == name)).one_or_none()


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


def set_disabled(session: Session, name: str, disabled: bool) -> User:
    user = find_user(session, name)
    if user is None:
        raise UserError(f"no user {name!r}")
    user.disabled = disabled
    if disabled:
        # Refused while disabled anyway; revoked so that enabling again revives none of them.
        revoke_user_tokens(session, user.id)
    return user


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The user if name and password match (disabled users included: the caller decides)."""
    user = find_user(session, name)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    return user
