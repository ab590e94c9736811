"""JWT access tokens: issuing and strict verification."""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import get_args

import jwt

from lakebook.common.access_tokens import create_access_token as create_access_token
from lakebook.common.api import Role
from lakebook.common.settings import Settings
from lakebook.common.token_keys import token_keys

REQUIRED_CLAIMS = ("sub", "role", "exp", "iat", "iss", "aud", "jti")


class InvalidTokenError(ValueError):
    """A token that must not be accepted; the message says why (never echoing the token)."""


@dataclass(frozen=True)
class TokenClaims:
    """The verified claims of an access token."""

    subject: str
    role: Role
    token_id: str
    expires_at: datetime


def generate_password() -> str:
    """A random password a person can still copy: 24 URL-safe characters."""
    return secrets.token_urlsafe(18)


def decode_access_token(settings: Settings, token: str) -> TokenClaims:
    """Verifies signature, algorithm, expiry, issuer, audience and required claims."""
    keys = token_keys(settings)
    try:
        # The kid only picks among our own keys; an unknown one is refused, never fetched.
        key = keys.verifying_key(jwt.get_unverified_header(token).get("kid"))
        if key is None:
            raise InvalidTokenError("invalid token: signed by a key this gateway does not know")
        claims = jwt.decode(
            token,
            key,
            # Pinned: a token's own `alg` header never chooses the algorithm (no `none`,
            # no HS/RS confusion).
            algorithms=[keys.algorithm],
            audience=settings.jwt.audience,
            issuer=settings.jwt.issuer,
            options={"require": list(REQUIRED_CLAIMS)},
        )
    except jwt.ExpiredSignatureError as error:
        raise InvalidTokenError("token has expired; sign in again") from error
    except jwt.InvalidTokenError as error:
        raise InvalidTokenError(f"invalid token: {error}") from error
    role = claims["role"]
    if role not in get_args(Role):
        raise InvalidTokenError(f"invalid token: unknown role {role!r}")
    if not isinstance(claims["sub"], str) or not claims["sub"]:
        raise InvalidTokenError("invalid token: empty subject")
    return TokenClaims(
        subject=claims["sub"],
        role=role,
        token_id=str(claims["jti"]),
        expires_at=datetime.fromtimestamp(claims["exp"], UTC),
    )


class VerifiedTokens:
    """Access tokens this process has already verified, with their claims.

    A client sends the same bearer token with every request for the token's whole lifetime, and
    verifying it again each time (PyJWT parses the header twice and checks the base64 alphabet
    character by character) was a quarter of the time of reading a run. A token is remembered
    only after passing every check; a remembered one is refused again once it expires. Whether
    its user is still active, and their request budget, are still checked on every request.
    """

    def __init__(self, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, TokenClaims]] = OrderedDict()

    def claims(self, settings: Settings, token: str) -> TokenClaims:
        """The token's claims; raises InvalidTokenError exactly as decode_access_token does."""
        remembered = self._entries.get(token)
        if remembered is not None:
            expires_at, claims = remembered
            if time.time() < expires_at:  # PyJWT's rule: expired from `exp` on
                return claims
            del self._entries[token]
        claims = decode_access_token(settings, token)
        self._entries[token] = (claims.expires_at.timestamp(), claims)
        if len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return claims
