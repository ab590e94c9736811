"""The public keys that verify this gateway's access tokens, as a JWKS (RFC 7517)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from lakebook.common.token_keys import token_keys
from lakebook.gateway.api.deps import SettingsDep

router = APIRouter(tags=["auth"])

# Verifiers may cache the set this long. A rotated-in key is signed with only after a restart,
# and the key it replaces stays published (previous keys), so five minutes of staleness is safe.
JWKS_MAX_AGE_SECONDS = 300


class JWKSResponse(JSONResponse):
    media_type = "application/jwk-set+json"


@router.get("/.well-known/jwks.json", response_class=JWKSResponse)
async def jwks(settings: SettingsDep) -> JWKSResponse:
    """Public keys only (`kid`, `alg`, `use: sig`); empty in HS256 mode, whose secret is shared."""
    return JWKSResponse(
        token_keys(settings).jwks,
        headers={"Cache-Control": f"public, max-age={JWKS_MAX_AGE_SECONDS}"},
    )
