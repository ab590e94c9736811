"""Rotating refresh tokens: each is used once; presenting a spent one revokes its whole family."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from lakebook.common.settings import Settings
from lakebook.gateway.models import RefreshToken, User


@dataclass(frozen=True)
class Rotated:
    user: User
    refresh_token: str


@dataclass(frozen=True)
class Refused:
    reason: str


def _digest(token: str) -> str:
    # Only digests are stored: a leaked database holds no usable refresh token.
    return hashlib.sha256(token.encode()).hexdigest()


def issue_refresh_token(
    session: Session, user: User, settings: Settings, family_id: str | None = None
) -> str:
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    session.add(
        RefreshToken(
            token_hash=_digest(token),
            family_id=family_id or uuid.uuid4().hex,
            user_id=user.id,
            issued_at=now,
            expires_at=now + timedelta(days=settings.jwt.refresh_token_days),
        )
    )
    return token


def rotate_refresh_token(session: Session, token: str, settings: Settings) -> Rotated | Refused:
    """Spends a refresh token for a new one of the same family, or says why it cannot."""
    row = session.get(RefreshToken, _digest(token))
    if row is None:
        return Refused("unknown refresh token; sign in again")
    now = datetime.now(UTC)
    if row.revoked_at is not None:
        return Refused("refresh token was revoked; sign in again")
    if row.used_at is not None:
        # Someone holds a copy of a spent token: end every session that descends from it.
        revoke_family(session, row.family_id)
        return Refused("refresh token was already used; all its sessions were revoked")
    if row.expires_at <= now:
        return Refused("refresh token has expired; sign in again")
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        return Refused("account is disabled or no longer exists")
    row.used_at = now
    return Rotated(user, issue_refresh_token(session, user, settings, family_id=row.family_id))


def revoke_family_of(session: Session, token: str) -> None:
    """Logout: revokes the token's family; an unknown token is ignored (no oracle)."""
    row = session.get(RefreshToken, _digest(token))
    if row is not None:
        revoke_family(session, row.family_id)


def revoke_family(session: Session, family_id: str) -> None:
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )


def revoke_user_tokens(session: Session, user_id: int) -> None:
    """Revokes every refresh token of a user (disabling does): re-enabling the account later
    must not bring those sessions back."""
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
