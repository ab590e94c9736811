"""What a client sends before it is known: the body-size cap and X-Forwarded-For, over HTTP."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lakebook.common.settings import Settings
from tests.utils.gateway_clients import client_from
from tests.utils.ports import free_port
from tests.utils.services import Gateway, S3Server, quiet_supervisor, start_gateway
from tests.utils.waiting import wait_until

# The proxy the limits gateway trusts, and a peer it does not (both are this machine).
PROXY = "127.0.0.1"
STRANGER = "127.0.0.7"
SMALL_CAP = 64 * 1024


@pytest.fixture(scope="module")
def limits_gateway(
    s3_server: S3Server, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Gateway]:
    """A gateway behind a trusted proxy at 127.0.0.1, with a small body cap and throttle."""
    data_dir = tmp_path_factory.mktemp("limits-gateway")
    jwt_secret = secrets.token_urlsafe(32)
    settings: Settings = s3_server.settings_with(
        data_dir=data_dir,
        gateway_port=free_port(),
        lake_url=f"s3://{s3_server.settings.s3.bucket}/request-limits",
        request_body_max_bytes=SMALL_CAP,
        trusted_proxies=[f"{PROXY}/32"],
        login_max_failures=2,
    )
    lake_secrets = {
        "s3_access_key_id": settings.require_secret("s3_access_key_id"),
        "s3_secret_access_key": settings.require_secret("s3_secret_access_key"),
    }
    supervisor = quiet_supervisor(data_dir / "stack.json")
    try:
        yield Gateway(
            start_gateway(supervisor, settings, jwt_secret=jwt_secret, **lake_secrets), settings
        )
    finally:
        supervisor.stop_all()


def access_record(gateway: Gateway, request_id: str) -> dict[str, object]:
    """The access log's record of one request (written just after its answer)."""
    log_file = gateway.settings.data_dir / "logs" / "gateway.log"

    def logged() -> list[dict[str, object]]:
        lines = log_file.read_text().splitlines()
        records = [json.loads(line) for line in lines if line.startswith('{"request_id"')]
        return [record for record in records if record["request_id"] == request_id]

    [record] = wait_until(logged, awaiting=f"request {request_id} in the access log", timeout=10)
    return record


def test_a_declared_oversized_body_is_413_before_authentication_and_parsing(
    gateway: Gateway,
) -> None:
    cap = gateway.settings.gateway.request_body_max_bytes
    assert cap == 1024**2
    junk = b"{" + b"x" * (2 * cap)  # not even JSON
    launch = httpx.post(
        gateway.api("/flows/ping/execute"),
        content=junk,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert launch.status_code == 413, launch.text
    detail = launch.json()["detail"]
    assert f"larger than the limit of {cap} bytes" in detail
    assert "LAKEBOOK_REQUEST_BODY_MAX_BYTES" in detail
    sign_in = httpx.post(
        gateway.api("/auth/token"), data={"username": "x", "password": "y" * (2 * cap)}, timeout=30
    )
    assert sign_in.status_code == 413, sign_in.text
    # Under the cap, the same requests are judged as before: parsed, then not signed in.
    small = httpx.post(
        gateway.api("/flows/ping/execute"),
        content=b"{" + b"x" * 1000,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert small.status_code == 422, small.text
    well_formed = httpx.post(
        gateway.api("/flows/ping/execute"), json={"parameters": {"x": "y" * 1000}}, timeout=30
    )
    assert well_formed.status_code == 401, well_formed.text


def test_a_chunked_body_is_counted_as_it_streams_and_refused_early(gateway: Gateway) -> None:
    cap = gateway.settings.gateway.request_body_max_bytes
    offered = 256 * 1024**2
    sent = 0

    def body() -> Iterator[bytes]:
        nonlocal sent
        chunk = b"[" + b"1," * (32 * 1024)
        while sent < offered:
            sent += len(chunk)
            yield chunk

    # A generator has no length: httpx sends it chunked, without Content-Length.
    response = httpx.post(
        gateway.api("/auth/refresh"),
        content=body(),
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    assert response.status_code == 413, response.text
    assert f"larger than the limit of {cap} bytes" in response.json()["detail"]
    # Refused as soon as it passed the cap, not after reading it all (socket buffers aside).
    assert sent < offered // 4, sent
    # The gateway still answers normally afterwards.
    assert httpx.get(f"{gateway.url}/healthz", timeout=10).status_code == 200


def test_uploads_keep_their_own_cap_above_the_request_cap(limits_gateway: Gateway) -> None:
    name, password = limits_gateway.add_user("analyst")
    token = httpx.post(
        limits_gateway.api("/auth/token"), data={"username": name, "password": password}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    csv = b"id,amount\n" + b"".join(b"%d,%d\n" % (i, i * 3) for i in range(30_000))
    assert len(csv) > 3 * SMALL_CAP
    uploaded = httpx.post(
        limits_gateway.api("/lake/uploads"),
        files={"file": ("big.csv", csv, "text/csv")},
        headers=headers,
        timeout=60,
    )
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["bytes"] == len(csv)
    launch = httpx.post(
        limits_gateway.api("/flows/ping/execute"),
        json={"parameters": {"message": "x" * (2 * SMALL_CAP)}},
        headers=headers,
        timeout=30,
    )
    assert launch.status_code == 413, launch.text


def failed_sign_ins(client: httpx.Client, gateway: Gateway, forwarded_for: list[str]) -> list[int]:
    """The statuses of one failed sign-in per X-Forwarded-For value, each as another user."""
    statuses = []
    for address in forwarded_for:
        form = {"username": f"nobody-{uuid.uuid4().hex[:8]}", "password": "wrong-password"}
        headers = {"X-Forwarded-For": address}
        response = client.post(gateway.api("/auth/token"), data=form, headers=headers)
        statuses.append(response.status_code)
    return statuses


def test_rotating_x_forwarded_for_does_not_bypass_the_sign_in_throttle(
    limits_gateway: Gateway,
) -> None:
    per_address = limits_gateway.settings.jwt.login_max_failures * 4
    rotating = [f"198.51.100.{i}" for i in range(per_address + 1)]
    with client_from(STRANGER) as client:
        statuses = failed_sign_ins(client, limits_gateway, rotating)
    # The peer is not a trusted proxy: every attempt counts against its own address.
    assert statuses == [401] * per_address + [429]


def test_from_a_trusted_proxy_the_forwarded_client_is_throttled(limits_gateway: Gateway) -> None:
    per_address = limits_gateway.settings.jwt.login_max_failures * 4
    with client_from(PROXY) as client:
        # Each forwarded client has its own count: many clients behind one proxy.
        many = [f"192.0.2.{i}" for i in range(per_address + 5)]
        assert failed_sign_ins(client, limits_gateway, many) == [401] * len(many)
        # One client is throttled, whatever it writes to the left of what the proxy saw.
        one = [f"10.{i}.0.1, 203.0.113.9" for i in range(per_address + 1)]
        assert failed_sign_ins(client, limits_gateway, one) == [401] * per_address + [429]
        assert failed_sign_ins(client, limits_gateway, ["203.0.113.10"]) == [401]


@pytest.mark.parametrize(("peer", "logged"), [(PROXY, "192.0.2.200"), (STRANGER, STRANGER)])
def test_the_access_log_names_the_forwarded_client_only_behind_a_trusted_proxy(
    limits_gateway: Gateway, peer: str, logged: str
) -> None:
    request_id = uuid.uuid4().hex
    headers = {"X-Forwarded-For": "192.0.2.200", "X-Request-ID": request_id}
    with client_from(peer) as client:
        assert client.get(f"{limits_gateway.url}/healthz", headers=headers).status_code == 200
    assert access_record(limits_gateway, request_id)["client"] == logged


def test_by_default_no_proxy_is_trusted(gateway: Gateway) -> None:
    # uvicorn alone would believe any process on 127.0.0.1; the gateway trusts none by default.
    assert gateway.settings.gateway.trusted_proxies == []
    request_id = uuid.uuid4().hex
    headers = {"X-Forwarded-For": "192.0.2.201", "X-Request-ID": request_id}
    assert httpx.get(f"{gateway.url}/healthz", headers=headers).status_code == 200
    assert access_record(gateway, request_id)["client"] == "127.0.0.1"


def test_trusted_proxies_must_be_addresses_or_networks(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'proxy.internal' is not an IP address or CIDR"):
        Settings(data_dir=tmp_path, trusted_proxies=["10.0.0.0/8", "proxy.internal"])
