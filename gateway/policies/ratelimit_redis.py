"""Cluster-wide rate limits: token buckets in Redis, spent through local leases.

Each consumer's bucket (rate, burst) lives in Redis and is refilled by a Lua
script on Redis's own clock. An instance does not ask Redis per request: it
*leases* a small batch of tokens (about 50 ms of the plan's rate, at most a
tenth of the burst, at least one) and spends them locally until the batch is
gone or ``lease_seconds`` pass. Tokens leave the shared bucket when leased,
so however many instances serve, together they never admit more than the
plan: the error is only on the strict side (a lease that expires unspent),
bounded by one batch per instance. A refusal is remembered locally until the
bucket could hold a token again, so a client hammering past its limit costs
no Redis call per request.

Redis down: fail open to this instance's own in-memory buckets
(``LocalRateLimiter``), so the edge keeps limiting, per instance, and
keeps serving; each fallback is counted in ``hub_ratelimit_fallback_total``
and logged at most every 10 s. A chosen availability-over-precision
trade-off, like Kong's and Envoy's.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from typing import Callable

from gateway.policies.ratelimit import Decision, LocalRateLimiter, decide
from shared.metrics import Registry
from shared.settings import Plan

log = logging.getLogger("commerce_hub.ratelimit")

# KEYS[1] bucket; ARGV: rate, burst, want. Returns {granted, tokens_left*1000}.
_LEASE = """
local rate, burst, want = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens, ts = tonumber(b[1]), tonumber(b[2])
if tokens == nil then tokens, ts = burst, now end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local granted = math.min(want, math.floor(tokens))
tokens = tokens - granted
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {granted, math.floor(tokens * 1000)}
"""


class _Lease:
    __slots__ = ("tokens", "expires", "shared_left", "denied_until")

    def __init__(self) -> None:
        self.tokens = 0
        self.expires = 0.0
        self.shared_left = 0.0
        self.denied_until = 0.0


class RedisRateLimiter:
    def __init__(self, redis, plans: Callable[[], dict[str, Plan]], metrics: Registry, *,  # noqa: ANN001
                 lease_seconds: float = 0.25, clock: Callable[[], float] = time.monotonic) -> None:
        self._redis = redis
        self._plans = plans
        self._script = redis.register_script(_LEASE)
        self._lease_seconds = lease_seconds
        self._clock = clock
        self._leases: dict[tuple[str, str], _Lease] = {}
        self._inflight: dict[tuple[str, str], asyncio.Future] = {}
        self._fallback = LocalRateLimiter(plans, clock)
        self._fallbacks = metrics.counter("hub_ratelimit_fallback_total",
                                          "Rate-limit decisions taken locally because Redis failed")
        self._last_log = 0.0

    async def hit(self, consumer: str, plan_name: str) -> Decision:
        plan = self._plans()[plan_name]
        slot = (consumer, plan_name)
        lease = self._leases.get(slot)
        if lease is None:
            lease = self._leases[slot] = _Lease()
        for _ in range(2):  # spend locally; else wait for (or take) one lease from Redis
            now = self._clock()
            if lease.tokens > 0 and lease.expires > now:
                lease.tokens -= 1
                return decide(plan_name, plan, lease.shared_left + lease.tokens, True)
            if lease.denied_until > now:
                return decide(plan_name, plan, lease.shared_left, False)
            running = self._inflight.get(slot)
            if running is None:
                break
            if not await asyncio.shield(running):
                return await self._local(consumer, plan_name, now)
        return await self._lease(slot, plan_name, plan, lease)

    async def _lease(self, slot: tuple[str, str], plan_name: str, plan: Plan, lease: _Lease) -> Decision:
        """Take a batch from the shared bucket; concurrent callers wait for this one call."""
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._inflight[slot] = future
        batch = max(1, min(plan.burst // 10, math.ceil(plan.rate_per_second * 0.05)))
        try:
            granted, left_milli = await self._script(
                keys=[f"hub:rl:{plan_name}:{slot[0]}"], args=[plan.rate_per_second, plan.burst, batch])
        except Exception:  # Redis unreachable or failing: fail open to local buckets
            future.set_result(False)
            return await self._local(slot[0], plan_name, self._clock())
        finally:
            self._inflight.pop(slot, None)
            if not future.done():  # cancelled mid-call: waiters take their own turn
                future.set_result(True)
        now = self._clock()
        lease.shared_left = int(left_milli) / 1000.0
        if int(granted) == 0:
            lease.tokens = 0
            lease.denied_until = now + (1.0 - lease.shared_left) / plan.rate_per_second
            return decide(plan_name, plan, lease.shared_left, False)
        lease.tokens = int(granted) - 1
        lease.expires = now + self._lease_seconds
        lease.denied_until = 0.0
        return decide(plan_name, plan, lease.shared_left + lease.tokens, True)

    async def _local(self, consumer: str, plan_name: str, now: float) -> Decision:
        self._fallbacks.inc()
        if now - self._last_log > 10:
            self._last_log = now
            log.warning("rate limits: Redis unavailable, limiting per instance (fail open)")
        return await self._fallback.hit(consumer, plan_name)
