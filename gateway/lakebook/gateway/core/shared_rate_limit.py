"""Token buckets in Redis, so gateway replicas behind a load balancer share each user's budget."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from lakebook.gateway.core.rate_limit import TokenBuckets

logger = logging.getLogger("lakebook.gateway.rate_limit")

KEY_PREFIX = "lakebook:rate:"
# A request must not wait on a slow Redis for long: past this it is served without it.
REDIS_TIMEOUT_SECONDS = 0.5
# After a failure Redis is left alone this long, so an outage costs one timeout, not one per
# request; the same interval spaces the warnings in the log.
RETRY_REDIS_AFTER_SECONDS = 5.0

# One bucket per key as a hash {tokens, updated}, refilled and spent in one atomic step. The
# clock is Redis's own (TIME), so replicas whose clocks disagree still agree on the refill.
# A bucket that has refilled completely holds nothing worth keeping, so it expires then.
# Returns the wait in seconds as a string (Lua numbers would be truncated to integers).
TAKE_TOKEN_LUA = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(state[1]) or burst
local updated = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - updated) * rate)
local wait = 0
if tokens < 1 then
  wait = (1 - tokens) / rate
else
  tokens = tokens - 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return tostring(wait)
"""


class RedisTokenBuckets:
    """The buckets live in Redis. If Redis cannot be reached the gateway keeps answering: each
    process falls back to its own in-memory buckets (limits become per replica, never off) and
    logs a warning at most every RETRY_REDIS_AFTER_SECONDS until Redis answers again."""

    def __init__(
        self,
        redis_url: str,
        rate_per_second: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate_per_second
        self.burst = burst
        self.clock = clock
        self.redis_url = without_password(redis_url)
        self.client: Redis = Redis.from_url(
            redis_url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            # One immediate retry covers a pooled connection Redis closed; the client's default
            # (three retries with back-off up to seconds) would stall requests in an outage.
            retry=Retry(NoBackoff(), 1),
        )
        self._take_token = self.client.register_script(TAKE_TOKEN_LUA)
        self.fallback = TokenBuckets(rate_per_second, burst, clock)
        self._redis_down_until = 0.0
        self._warned_at = -RETRY_REDIS_AFTER_SECONDS
        self.last_error: str | None = None

    async def wait_time(self, key: str) -> float | None:
        now = self.clock()
        if now < self._redis_down_until:
            return self.fallback.take(key)
        try:
            args = [self.rate, self.burst]
            wait = float(await self._take_token(keys=[KEY_PREFIX + key], args=args))
        except (RedisError, OSError) as error:
            self._redis_down_until = now + RETRY_REDIS_AFTER_SECONDS
            self.last_error = f"{type(error).__name__}: {error}"
            # Concurrent requests may all fail at once; one warning per interval is enough.
            if now - self._warned_at >= RETRY_REDIS_AFTER_SECONDS:
                self._warned_at = now
                logger.warning(
                    "rate-limit store %s unreachable (%s); limiting per gateway process for "
                    "the next %.0f s",
                    self.redis_url,
                    self.last_error,
                    RETRY_REDIS_AFTER_SECONDS,
                )
            return self.fallback.take(key)
        if self.last_error is not None:
            logger.warning("rate-limit store %s answers again; limits are shared", self.redis_url)
            self.last_error = None
        return wait if wait > 0 else None

    async def ping(self) -> None:
        """Raises RedisError or OSError when Redis does not answer."""
        await self.client.ping()

    async def close(self) -> None:
        await self.client.aclose()


def without_password(url: str) -> str:
    """The URL as it may appear in logs and /readyz: any credentials replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None and parts.username is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"***@{host}").geturl()
