"""Password hashing and JWT access tokens."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher

from lakebook.common.settings import Settings

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash; slow on purpose."""
    return _hasher.hash(password)


def generate_password() -> str:
    """A random password a person can still copy: 24 URL-safe characters."""
    return secrets.token_urlsafe(18)


def create_access_token(
    settings: Settings, *, subject: str, role: str, lifetime: timedelta | None = None
) -> str:
    """A signed JWT with the claims the gateway requires (sub, role, exp, iat, iss, aud, jti)."""
    issued_at = datetime.now(UTC)
    lifetime = lifetime or timedelta(minutes=settings.access_token_minutes)
    claims = {
        "sub": subject,
        "role": role,
        "iat": issued_at,
        "exp": issued_at + lifetime,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(
        claims, settings.require_secret("jwt_secret"), algorithm=settings.jwt_algorithm
    )
