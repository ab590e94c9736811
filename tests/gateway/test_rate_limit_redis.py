"""The per-user rate limit in a real Redis: replicas share one bucket, and Redis going down
never turns into 5xx (each gateway process falls back to its own buckets)."""

from __future__ import annotations

import asyncio
import math
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from lakebook.cli.stack.supervisor import Supervisor
from lakebook.common.settings import Settings
from lakebook.gateway.core.shared_rate_limit import (
    KEY_PREFIX,
    RETRY_REDIS_AFTER_SECONDS,
    RedisTokenBuckets,
    without_password,
)
from tests.utils.ports import free_port
from tests.utils.services import Gateway, RedisServer, quiet_supervisor, start_gateway, start_redis

BURST = 10
# So slow that no token comes back while a test runs: every 200 below is spent from the burst.
SLOW_RATE = 0.001


def start_replicas(
    root: Path, redis_url: str, count: int, burst: int = BURST
) -> tuple[Supervisor, list[Gateway]]:
    """`count` gateways on one database and one Redis, as replicas behind a load balancer."""
    supervisor = quiet_supervisor(root / "stack.json")
    jwt_secret = secrets.token_urlsafe(32)
    database_url = f"sqlite:///{root / 'shared.db'}"
    gateways = []
    for index in range(count):
        settings = Settings(
            data_dir=root / f"replica{index}",
            gateway_port=free_port(),
            database_url=database_url,
            rate_limit_redis_url=redis_url,
            rate_limit_burst=burst,
            rate_limit_per_second=SLOW_RATE,
            jwt_secret=jwt_secret,
        )
        if index == 0:
            # Migrate the shared database before any replica starts: they would race on it.
            Gateway("", settings).add_user()
        gateways.append(Gateway("", settings))
    try:
        for index, gateway in enumerate(gateways):
            url = start_gateway(supervisor, gateway.settings, jwt_secret=jwt_secret)
            gateways[index] = Gateway(url, gateway.settings)
    except BaseException:
        supervisor.stop_all()
        raise
    return supervisor, gateways


def bearer(gateway: Gateway) -> dict[str, str]:
    name, password = gateway.add_user()
    response = httpx.post(gateway.api("/auth/token"), data={"username": name, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture(scope="module")
def replicas(
    redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[Gateway]]:
    supervisor, gateways = start_replicas(
        tmp_path_factory.mktemp("replicas"), redis_server.url, count=2
    )
    try:
        yield gateways
    finally:
        supervisor.stop_all()


def test_replicas_share_one_bucket(replicas: list[Gateway]) -> None:
    first, second = replicas
    headers = bearer(first)
    # Twice the burst, alternating: separate per-process buckets would allow all of them.
    responses = [
        (gateway, httpx.get(gateway.api("/auth/me"), headers=headers, timeout=30))
        for _ in range(BURST)
        for gateway in (first, second)
    ]
    statuses = [response.status_code for _, response in responses]
    assert statuses.count(200) == BURST, statuses
    assert statuses.count(429) == BURST, statuses
    limited_by = {gateway.url for gateway, response in responses if response.status_code == 429}
    assert limited_by == {first.url, second.url}
    # The wait of an empty shared bucket: about 1 / SLOW_RATE, less what trickled back since.
    assert int(responses[-1][1].headers["retry-after"]) > 1 / SLOW_RATE / 2
    # Another user has a bucket of their own.
    assert httpx.get(second.api("/auth/me"), headers=bearer(second)).status_code == 200


def test_readyz_reports_the_store_without_requiring_it(replicas: list[Gateway]) -> None:
    body = httpx.get(f"{replicas[0].url}/readyz", timeout=60).json()
    store = next(check for check in body["checks"] if check["name"] == "rate_limit_store")
    assert store == {
        "name": "rate_limit_store",
        "ok": True,
        "detail": replicas[0].settings.gateway.rate_limit_redis_url,
        "required": False,
    }


@pytest.mark.services  # starts a Redis and a gateway of its own
def test_redis_going_down_gives_no_5xx_and_sharing_resumes(tmp_path: Path) -> None:
    redis_server = start_redis(tmp_path / "redis")
    supervisor, (gateway,) = start_replicas(tmp_path, redis_server.url, count=1, burst=5)
    try:
        with httpx.Client(headers=bearer(gateway), timeout=30) as client:
            assert client.get(gateway.api("/auth/me")).status_code == 200
            redis_server.stop()
            outage_started = time.monotonic()
            statuses = [client.get(gateway.api("/auth/me")).status_code for _ in range(20)]
            store = next(
                check
                for check in client.get(f"{gateway.url}/readyz", timeout=60).json()["checks"]
                if check["name"] == "rate_limit_store"
            )
            # Back on the same port, empty: once the gateway tries Redis again the user has a
            # fresh shared burst, while their in-process bucket is spent (so a 200 proves it).
            redis_server = start_redis(tmp_path / "redis", port=redis_server.port)
            outage = time.monotonic() - outage_started
            after = []
            for _ in range(60):
                after.append(client.get(gateway.api("/auth/me")).status_code)
                if after[-1] == 200:
                    break
                time.sleep(0.5)  # paces the requests: each status seen is asserted on
    finally:
        redis_server.stop()
        supervisor.stop_all()
    # In-process buckets take over, fresh: the 5-token burst, then 429s; never a 5xx.
    assert set(statuses) <= {200, 429}, statuses
    assert statuses[:5] == [200] * 5, statuses
    assert statuses.count(429) == 15, statuses
    assert (store["ok"], store["required"]) == (False, False)
    assert set(after) <= {200, 429}, after
    assert after[-1] == 200, after
    log = (gateway.settings.data_dir / "logs" / "gateway.log").read_text()
    warnings = [line for line in log.splitlines() if "store" in line and "unreachable" in line]
    # Logged once per retry interval, not once per request.
    assert 1 <= len(warnings) <= math.ceil(outage / RETRY_REDIS_AFTER_SECONDS) + 1, warnings
    assert "answers again" in log


def test_bucket_keys_expire_once_refilled(redis_server: RedisServer) -> None:
    async def spend() -> list[float | None]:
        limiter = RedisTokenBuckets(redis_server.url, rate_per_second=1.0, burst=3)
        try:
            return [await limiter.wait_time("ttl-user") for _ in range(4)]
        finally:
            await limiter.close()

    waits = asyncio.run(spend())
    assert waits[:3] == [None, None, None]
    assert waits[3] is not None
    assert 0 < waits[3] <= 1.0
    client = redis.Redis.from_url(redis_server.url)
    try:
        ttl_ms = client.pttl(KEY_PREFIX + "ttl-user")
    finally:
        client.close()
    # An empty bucket refills in 3 s at 1/s; the key lives that long plus a second, no longer.
    assert 1000 < ttl_ms <= 4000


def test_passwords_stay_out_of_logged_urls() -> None:
    assert without_password("redis://:hunter2@cache:6379/0") == "redis://***@cache:6379/0"
    assert without_password("redis://user:hunter2@cache/1") == "redis://***@cache/1"
    assert without_password("redis://cache:6379/0") == "redis://cache:6379/0"
