"""RS256 and EdDSA access tokens over HTTP: published keys verify them, forgeries are refused,
rotated-out keys still verify, and a key that does not fit the algorithm stops the gateway."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from lakebook.common.settings import Settings
from tests.gateway.test_auth_tokens import claims
from tests.utils.ports import HOST, free_port
from tests.utils.services import Gateway, quiet_supervisor, start_gateway

# Every test here starts gateways of its own (uvicorn processes).
pytestmark = pytest.mark.services

PrivateKey = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
ALGORITHMS = ("RS256", "EdDSA")


def new_key(algorithm: str) -> PrivateKey:
    if algorithm == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ed25519.Ed25519PrivateKey.generate()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def thumbprint(key: PrivateKey) -> str:
    """RFC 7638, computed here from the key's numbers rather than by the gateway's code."""
    public = key.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        numbers = public.public_numbers()
        n = numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")
        e = numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")
        members = f'{{"e":"{b64url(e)}","kty":"RSA","n":"{b64url(n)}"}}'
    else:
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        members = f'{{"crv":"Ed25519","kty":"OKP","x":"{b64url(raw)}"}}'
    return b64url(hashlib.sha256(members.encode()).digest())


def private_pem(key: PrivateKey, password: bytes | None = None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def public_pem(key: PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@dataclass(frozen=True)
class SignedGateway:
    """A gateway signing with `key`, still accepting tokens of the rotated-out `previous_key`."""

    gateway: Gateway
    algorithm: str
    key: PrivateKey
    previous_key: PrivateKey

    @property
    def jwks_url(self) -> str:
        return f"{self.gateway.url}/.well-known/jwks.json"


@pytest.fixture(scope="module", params=ALGORITHMS)
def signed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SignedGateway]:
    algorithm: str = request.param
    data_dir = tmp_path_factory.mktemp(f"gateway-{algorithm}")
    key, previous_key = new_key(algorithm), new_key(algorithm)
    key_file, previous_file = data_dir / "signing.pem", data_dir / "previous.pub.pem"
    key_file.write_bytes(private_pem(key))
    key_file.chmod(0o600)
    previous_file.write_bytes(public_pem(previous_key))
    settings = Settings(
        data_dir=data_dir,
        gateway_port=free_port(),
        user_cache_seconds=0,
        jwt_algorithm=algorithm,
        jwt_private_key_file=key_file,
        jwt_previous_public_key_files=[previous_file],
    )
    supervisor = quiet_supervisor(data_dir / "stack.json")
    try:
        gateway = Gateway(start_gateway(supervisor, settings), settings)
        yield SignedGateway(gateway, algorithm, key, previous_key)
    finally:
        supervisor.stop_all()


def login(gateway: Gateway) -> tuple[str, str]:
    """Signs a new analyst in over HTTP; returns (user name, access token)."""
    name, password = gateway.add_user("analyst")
    response = httpx.post(gateway.api("/auth/token"), data={"username": name, "password": password})
    assert response.status_code == 200, response.text
    return name, str(response.json()["access_token"])


def get_me(gateway: Gateway, token: str) -> httpx.Response:
    return httpx.get(gateway.api("/auth/me"), headers={"Authorization": f"Bearer {token}"})


def test_login_token_verifies_with_the_published_key(signed: SignedGateway) -> None:
    name, token = login(signed.gateway)
    assert jwt.get_unverified_header(token) == {
        "alg": signed.algorithm,
        "typ": "JWT",
        "kid": thumbprint(signed.key),
    }
    # A verifier that knows nothing but the JWKS URL, as another service would.
    signing_key = jwt.PyJWKClient(signed.jwks_url, cache_jwk_set=False).get_signing_key_from_jwt(
        token
    )
    verified = jwt.decode(
        token,
        signing_key.key,
        algorithms=[signed.algorithm],
        audience="lakebook-api",
        issuer="lakebook",
    )
    assert (verified["sub"], verified["role"]) == (name, "analyst")
    assert get_me(signed.gateway, token).json()["name"] == name


def test_jwks_publishes_current_and_previous_public_keys_only(signed: SignedGateway) -> None:
    response = httpx.get(signed.jwks_url)
    assert response.status_code == 200
    assert "max-age=" in response.headers["cache-control"]
    keys = response.json()["keys"]
    assert [k["kid"] for k in keys] == [thumbprint(signed.key), thumbprint(signed.previous_key)]
    for published in keys:
        assert published["alg"] == signed.algorithm
        assert published["use"] == "sig"
        # Private members of RSA (d p q dp dq qi) and OKP (d) keys must never appear.
        assert not {"d", "p", "q", "dp", "dq", "qi"} & published.keys()
        assert jwt.PyJWK(published).key_type in ("RSA", "OKP")


def test_token_of_the_previous_key_still_verifies(signed: SignedGateway) -> None:
    name, _ = login(signed.gateway)
    kid = thumbprint(signed.previous_key)
    token = jwt.encode(
        claims(name), signed.previous_key, algorithm=signed.algorithm, headers={"kid": kid}
    )
    response = get_me(signed.gateway, token)
    assert response.status_code == 200, response.text
    assert response.json()["name"] == name


def hs256_with_public_pem(signed: SignedGateway, user: str) -> str:
    """Alg confusion: HMAC keyed with the gateway's own public key PEM, under its own kid."""
    header = {"alg": "HS256", "typ": "JWT", "kid": thumbprint(signed.key)}
    body = claims(user)
    signing_input = ".".join(
        b64url(json.dumps(part, default=str).encode()) for part in (header, body)
    ).encode()
    signature = hmac.new(public_pem(signed.key), signing_input, hashlib.sha256).digest()
    return f"{signing_input.decode()}.{b64url(signature)}"


def attacker_token(signed: SignedGateway, user: str, **headers: Any) -> str:
    return jwt.encode(
        claims(user), new_key(signed.algorithm), algorithm=signed.algorithm, headers=headers
    )


def other_algorithm_same_kid(signed: SignedGateway, user: str) -> str:
    other = "EdDSA" if signed.algorithm == "RS256" else "RS256"
    kid = thumbprint(signed.key)
    return jwt.encode(claims(user), new_key(other), algorithm=other, headers={"kid": kid})


Forgery = Callable[[SignedGateway, str], str]
FORGERIES: dict[str, Forgery] = {
    "attacker key, our kid": lambda s, u: attacker_token(s, u, kid=thumbprint(s.key)),
    "attacker key, previous kid": lambda s, u: attacker_token(s, u, kid=thumbprint(s.previous_key)),
    "attacker key, its own kid": lambda s, u: attacker_token(s, u, kid="attacker"),
    "attacker key, no kid": lambda s, u: attacker_token(s, u),
    "HS256 keyed with the public key PEM": hs256_with_public_pem,
    "alg none with our kid": lambda s, u: jwt.encode(
        claims(u, role="admin"), None, algorithm="none", headers={"kid": thumbprint(s.key)}
    ),
    "other asymmetric algorithm, our kid": other_algorithm_same_kid,
}


@pytest.mark.parametrize("attack", sorted(FORGERIES))
def test_forged_tokens_are_refused(signed: SignedGateway, attack: str) -> None:
    user, _ = login(signed.gateway)
    token = FORGERIES[attack](signed, user)
    response = get_me(signed.gateway, token)
    assert response.status_code == 401, f"{attack}: {response.text}"
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["detail"].startswith("invalid token"), response.text


def test_hs256_gateway_publishes_no_keys(gateway: Gateway) -> None:
    response = httpx.get(f"{gateway.url}/.well-known/jwks.json")
    assert response.status_code == 200
    assert response.json() == {"keys": []}
    assert "max-age=" in response.headers["cache-control"]


def start_with(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Starts the gateway as production does, with only these LAKEBOOK_* settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LAKEBOOK_")}
    argv = [sys.executable, "-m", "uvicorn", "--factory", "lakebook.gateway.main:create_app"]
    argv += ["--host", HOST, "--port", str(free_port())]
    return subprocess.run(
        argv,
        env=clean | {"LAKEBOOK_DATA_DIR": str(tmp_path)} | env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


BAD_SETTINGS: dict[str, tuple[Callable[[Path], dict[str, str]], tuple[str, ...]]] = {
    "Ed25519 key for RS256": (
        lambda d: {
            "LAKEBOOK_JWT_ALGORITHM": "RS256",
            "LAKEBOOK_JWT_PRIVATE_KEY_FILE": write(d / "k.pem", private_pem(new_key("EdDSA"))),
        },
        ("LAKEBOOK_JWT_PRIVATE_KEY_FILE", "Ed25519", "RS256"),
    ),
    "RSA key for EdDSA": (
        lambda d: {
            "LAKEBOOK_JWT_ALGORITHM": "EdDSA",
            "LAKEBOOK_JWT_PRIVATE_KEY_FILE": write(d / "k.pem", private_pem(new_key("RS256"))),
        },
        ("LAKEBOOK_JWT_PRIVATE_KEY_FILE", "RSA", "EdDSA"),
    ),
    "previous key of the other type": (
        lambda d: {
            "LAKEBOOK_JWT_ALGORITHM": "EdDSA",
            "LAKEBOOK_JWT_PRIVATE_KEY_FILE": write(d / "k.pem", private_pem(new_key("EdDSA"))),
            "LAKEBOOK_JWT_PREVIOUS_PUBLIC_KEY_FILES": json.dumps(
                [write(d / "old.pem", public_pem(new_key("RS256")))]
            ),
        },
        ("LAKEBOOK_JWT_PREVIOUS_PUBLIC_KEY_FILES", "RSA", "EdDSA"),
    ),
    "encrypted key": (
        lambda d: {
            "LAKEBOOK_JWT_ALGORITHM": "EdDSA",
            "LAKEBOOK_JWT_PRIVATE_KEY_FILE": write(
                d / "k.pem", private_pem(new_key("EdDSA"), b"passphrase")
            ),
        },
        ("LAKEBOOK_JWT_PRIVATE_KEY_FILE", "encrypted"),
    ),
    "RS256 without a key file": (
        lambda d: {"LAKEBOOK_JWT_ALGORITHM": "RS256"},
        ("LAKEBOOK_JWT_PRIVATE_KEY_FILE", "RS256"),
    ),
    "unknown algorithm": (
        lambda d: {"LAKEBOOK_JWT_ALGORITHM": "ES256"},
        ("LAKEBOOK_JWT_ALGORITHM",),
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_SETTINGS))
def test_bad_key_settings_stop_the_gateway_with_exit_2(tmp_path: Path, case: str) -> None:
    make_env, expected = BAD_SETTINGS[case]
    result = start_with(tmp_path, make_env(tmp_path))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    message = next(line for line in result.stderr.splitlines() if "invalid settings" in line)
    for word in expected:
        assert word in message, message
