"""The keys that sign and verify access tokens, and the JWKS that publishes the public ones."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from jwt.algorithms import OKPAlgorithm, RSAAlgorithm

from lakebook.common.settings import Settings, SettingsError

PublicKey = RSAPublicKey | Ed25519PublicKey
PrivateKey = RSAPrivateKey | Ed25519PrivateKey
# NIST SP 800-131A: RSA below 2048 bits no longer protects signatures.
MIN_RSA_BITS = 2048
# The members RFC 7638 hashes for each key type, in the order JSON would sort them anyway.
THUMBPRINT_MEMBERS = {"RSA": ("e", "kty", "n"), "OKP": ("crv", "kty", "x")}

PRIVATE_KEY_VARIABLE = "LAKEBOOK_JWT_PRIVATE_KEY_FILE"
PREVIOUS_KEYS_VARIABLE = "LAKEBOOK_JWT_PREVIOUS_PUBLIC_KEY_FILES"


@dataclass(frozen=True)
class TokenKeys:
    """How this gateway signs (one key) and verifies (that key and earlier ones, by `kid`)."""

    algorithm: str
    # The private key, or the HMAC secret in HS256 mode.
    signing_key: PrivateKey | str
    # None in HS256 mode: a shared secret has no public identity to name.
    signing_kid: str | None
    verifying_keys: dict[str, PublicKey]
    jwks: dict[str, list[dict[str, str]]]

    def verifying_key(self, kid: object) -> PublicKey | str | None:
        """The key that checks a token with this `kid` header; None if no key of ours has it."""
        if isinstance(self.signing_key, str):
            return self.signing_key  # HS256: one shared secret, `kid` plays no part
        return self.verifying_keys.get(kid) if isinstance(kid, str) else None


def token_keys(settings: Settings) -> TokenKeys:
    """The keys for these settings, read once per process (restart to rotate)."""
    if settings.jwt.algorithm == "HS256":
        return _hmac_keys(settings.require_secret("jwt_secret"))
    assert settings.jwt.private_key_file is not None  # the settings validator guarantees it
    return _asymmetric_keys(
        settings.jwt.algorithm,
        settings.jwt.private_key_file,
        tuple(settings.jwt.previous_public_key_files),
    )


@lru_cache(maxsize=4)
def _hmac_keys(secret: str) -> TokenKeys:
    return TokenKeys("HS256", secret, None, {}, {"keys": []})


@lru_cache(maxsize=4)
def _asymmetric_keys(
    algorithm: str, private_file: Path, previous_files: tuple[Path, ...]
) -> TokenKeys:
    private_key = _load_private_key(private_file, algorithm)
    current = private_key.public_key()
    public_keys = [current, *(_load_public_key(path, algorithm) for path in previous_files)]
    verifying: dict[str, PublicKey] = {}
    published: list[dict[str, str]] = []
    for key in public_keys:
        jwk = public_jwk(key)
        kid = jwk["kid"]
        if kid in verifying:
            continue  # the current key listed again among the previous ones
        verifying[kid] = key
        published.append(jwk | {"alg": algorithm, "use": "sig"})
    signing_kid = published[0]["kid"]
    return TokenKeys(algorithm, private_key, signing_kid, verifying, {"keys": published})


def public_jwk(key: PublicKey) -> dict[str, str]:
    """The public key as a JWK (RFC 7517) whose `kid` is its RFC 7638 thumbprint."""
    jwk: dict[str, Any]
    if isinstance(key, RSAPublicKey):
        jwk = RSAAlgorithm.to_jwk(key, as_dict=True)
    else:
        jwk = OKPAlgorithm.to_jwk(key, as_dict=True)
    members = {name: jwk[name] for name in THUMBPRINT_MEMBERS[jwk["kty"]]}
    return {**members, "kid": jwk_thumbprint(members)}


def jwk_thumbprint(members: dict[str, str]) -> str:
    """RFC 7638: SHA-256 of the required members as compact JSON with sorted keys, base64url."""
    canonical = json.dumps(members, sort_keys=True, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()


def _read(path: Path, variable: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise SettingsError(f"{variable}: cannot read {path}: {error.strerror or error}") from error


def _load_private_key(path: Path, algorithm: str) -> PrivateKey:
    data = _read(path, PRIVATE_KEY_VARIABLE)
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError as error:
        raise SettingsError(
            f"{PRIVATE_KEY_VARIABLE}: {path} is encrypted; give the gateway an unencrypted PEM "
            "key (protect it with file permissions or a secrets mount)"
        ) from error
    except ValueError as error:
        raise SettingsError(
            f"{PRIVATE_KEY_VARIABLE}: {path} is not a PEM private key ({error})"
        ) from error
    if not isinstance(key, RSAPrivateKey | Ed25519PrivateKey):
        raise SettingsError(_wrong_type(PRIVATE_KEY_VARIABLE, path, key, algorithm))
    _check_type(PRIVATE_KEY_VARIABLE, path, key, algorithm)
    return key


def _load_public_key(path: Path, algorithm: str) -> PublicKey:
    data = _read(path, PREVIOUS_KEYS_VARIABLE)
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as error:
        raise SettingsError(
            f"{PREVIOUS_KEYS_VARIABLE}: {path} is not a PEM public key ({error}); "
            "export it with `openssl pkey -in OLD.pem -pubout`"
        ) from error
    if not isinstance(key, RSAPublicKey | Ed25519PublicKey):
        raise SettingsError(_wrong_type(PREVIOUS_KEYS_VARIABLE, path, key, algorithm))
    _check_type(PREVIOUS_KEYS_VARIABLE, path, key, algorithm)
    return key


def _check_type(variable: str, path: Path, key: PrivateKey | PublicKey, algorithm: str) -> None:
    rsa = isinstance(key, RSAPrivateKey | RSAPublicKey)
    if (algorithm == "RS256") != rsa:
        raise SettingsError(_wrong_type(variable, path, key, algorithm))
    if isinstance(key, RSAPrivateKey | RSAPublicKey) and key.key_size < MIN_RSA_BITS:
        raise SettingsError(
            f"{variable}: {path} is a {key.key_size}-bit RSA key; RS256 needs at least "
            f"{MIN_RSA_BITS} bits"
        )


def _wrong_type(variable: str, path: Path, key: object, algorithm: str) -> str:
    needed = "an RSA key" if algorithm == "RS256" else "an Ed25519 key"
    if isinstance(key, RSAPrivateKey | RSAPublicKey):
        found = "an RSA key"
    elif isinstance(key, Ed25519PrivateKey | Ed25519PublicKey):
        found = "an Ed25519 key"
    else:
        found = f"a key of another type ({type(key).__name__})"
    return (
        f"{variable}: {path} holds {found} but LAKEBOOK_JWT_ALGORITHM is {algorithm}, which "
        f"needs {needed}; use RS256 for RSA keys and EdDSA for Ed25519 keys"
    )
