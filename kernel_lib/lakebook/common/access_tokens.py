"""Issuing JWT access tokens: the gateway signs its users' tokens here, and the notebook runner
(trusted, it holds the signing key) signs the short-lived token a run's kernel acts with, so
both mint exactly alike. Verifying stays in the gateway (lakebook.gateway.core.security)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt

from lakebook.common.settings import Settings
from lakebook.common.token_keys import token_keys


def create_access_token(
    settings: Settings, *, subject: str, role: str, lifetime: timedelta | None = None
) -> str:
    """A signed JWT with the claims the gateway requires (sub, role, exp, iat, iss, aud, jti)."""
    issued_at = datetime.now(UTC)
    lifetime = lifetime or timedelta(minutes=settings.jwt.access_token_minutes)
    claims = {
        "sub": subject,
        "role": role,
        "iat": issued_at,
        "exp": issued_at + lifetime,
        "iss": settings.jwt.issuer,
        "aud": settings.jwt.audience,
        "jti": uuid.uuid4().hex,
    }
    keys = token_keys(settings)
    # The kid (RFC 7638 thumbprint) tells verifiers which JWKS key to use; HS256 has none.
    headers = {"kid": keys.signing_kid} if keys.signing_kid else None
    return jwt.encode(claims, keys.signing_key, algorithm=keys.algorithm, headers=headers)
