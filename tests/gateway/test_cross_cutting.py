"""Every response: security headers, request ids, logs without secrets, metrics, limits."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.utils.services import Gateway


def token_for(gateway: Gateway) -> str:
    name, password = gateway.add_user()
    response = httpx.post(gateway.api("/auth/token"), data={"username": name, "password": password})
    return str(response.json()["access_token"])


def test_security_headers_and_request_ids(gateway: Gateway) -> None:
    response = httpx.get(f"{gateway.url}/healthz", headers={"X-Request-ID": "trace-123"})
    assert response.headers["x-request-id"] == "trace-123"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert response.headers["cache-control"] == "no-store"
    generated = httpx.get(f"{gateway.url}/healthz", headers={"X-Request-ID": "bad id <script>"})
    assert len(generated.headers["x-request-id"]) == 32


def test_cors_is_closed_by_default(gateway: Gateway) -> None:
    preflight = httpx.options(
        gateway.api("/auth/me"),
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in preflight.headers


def test_access_log_is_json_and_never_holds_tokens_or_passwords(gateway: Gateway) -> None:
    name, password = gateway.add_user()
    pair = httpx.post(
        gateway.api("/auth/token"), data={"username": name, "password": password}
    ).json()
    httpx.get(gateway.api("/auth/me"), headers={"Authorization": f"Bearer {pair['access_token']}"})
    httpx.get(gateway.api("/auth/me"), params={"token": pair["access_token"]})
    log = (gateway.settings.data_dir / "logs" / "gateway.log").read_text()
    for secret in (pair["access_token"], pair["refresh_token"], password):
        assert secret not in log
    records = [json.loads(line) for line in log.splitlines() if line.startswith('{"request_id"')]
    mine = [r for r in records if r["user"] == name]
    assert mine, "the authenticated request is logged with its user"
    assert mine[-1]["route"] == "/api/v1/auth/me"


def test_metrics_count_requests_by_route(gateway: Gateway) -> None:
    httpx.get(f"{gateway.url}/healthz")
    metrics = httpx.get(f"{gateway.url}/metrics").text
    assert 'lakebook_http_requests_total{method="GET",route="/healthz",status="200"}' in metrics
    assert "lakebook_http_request_duration_seconds_bucket" in metrics


def test_a_thousand_rapid_requests_get_429s_and_no_5xx(gateway: Gateway) -> None:
    headers = {"Authorization": f"Bearer {token_for(gateway)}"}
    with httpx.Client(headers=headers, timeout=30) as client:

        def hit(_: int) -> httpx.Response:
            return client.get(gateway.api("/auth/me"))

        with ThreadPoolExecutor(max_workers=16) as pool:
            responses = list(pool.map(hit, range(1000)))
    statuses = [r.status_code for r in responses]
    assert all(code < 500 for code in statuses)
    assert statuses.count(200) >= gateway.settings.gateway.rate_limit_burst
    limited = [r for r in responses if r.status_code == 429]
    assert len(limited) > 500
    assert int(limited[0].headers["retry-after"]) >= 1
    other_user = {"Authorization": f"Bearer {token_for(gateway)}"}
    assert httpx.get(gateway.api("/auth/me"), headers=other_user).status_code == 200
