"""Cluster-wide rate limits: token buckets in Redis, spent through local leases.

Each consumer's bucket (rate, burst) lives in Redis and is refilled by a Lua
script on Redis's own clock. An instance does not ask Redis per request: it
*leases* a small batch of tokens (about 50 ms of the plan's rate, at most a
tenth of the burst, at least one) and spends them locally until the batch is
gone or ``lease_seconds`` pass. Tokens leave the shared bucket when leased,
so however many instances serve, together they never admit more than the
plan: the error is only on the strict side (a lease that expires unspent),
bounded by about one batch per instance. A refusal is remembered locally until
the bucket could hold a token again, so a client hammering past its limit
costs no Redis call per request.

The hot path never waits for Redis while a consumer stays under its limit: a
lease of four tokens or more is renewed in the background when a tenth of it
is left or it is in its last fifth of life (renew-ahead), so requests keep
spending the current lease meanwhile. Only a consumer with no live lease (the
first request, after a pause, or a plan of a few requests per second) waits,
and then for the slot's one call, together: that call asks for as many tokens
as there are requests waiting (never more than the bucket holds).

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
_MAX_ROUNDS = 32

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
    __slots__ = ("tokens", "expires", "shared_left", "denied_until", "refill", "waiting")

    def __init__(self) -> None:
        self.tokens = 0
        self.expires = 0.0
        self.shared_left = 0.0
        self.denied_until = 0.0
        self.refill: asyncio.Task | None = None
        """The one Redis call in flight for this slot; True when it answered."""
        self.waiting = 0
        """Requests waiting for it: the next call asks for at least that many tokens."""


class RedisRateLimiter:
    def __init__(self, redis, plans: Callable[[], dict[str, Plan]], metrics: Registry, *,  # noqa: ANN001
                 lease_seconds: float = 0.25, clock: Callable[[], float] = time.monotonic) -> None:
        self._redis = redis
        self._plans = plans
        self._script = redis.register_script(_LEASE)
        self._lease_seconds = lease_seconds
        self._renew_before = lease_seconds / 5
        self._clock = clock
        self._leases: dict[tuple[str, str], _Lease] = {}
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
        for _ in range(_MAX_ROUNDS):  # spend locally; else wait for the slot's one Redis call, look again
            now = self._clock()
            if lease.tokens > 0 and lease.expires > now:
                return self._spend(slot, plan, lease, now)
            if lease.denied_until > now:
                return decide(plan_name, plan, lease.shared_left, False)
            lease.waiting += 1
            try:
                refill = lease.refill or self._start_refill(slot, plan, lease, max(_batch(plan), lease.waiting))
                answered = await asyncio.shield(refill)
            finally:
                lease.waiting -= 1
            if not answered:
                return await self._local(consumer, plan_name, now)
        # Unreachable unless leases expire as fast as they are granted (a lease_seconds of ~0).
        return await self._local(consumer, plan_name, self._clock())

    def take(self, consumer: str, plan_name: str) -> Decision | None:
        """The decision without waiting, when the consumer's live lease has a token (the usual
        case under load); None when only Redis can decide (``hit``)."""
        slot = (consumer, plan_name)
        lease = self._leases.get(slot)
        now = self._clock()
        if lease is None or lease.tokens <= 0 or lease.expires <= now:
            return None
        return self._spend(slot, self._plans()[plan_name], lease, now)

    def _spend(self, slot: tuple[str, str], plan: Plan, lease: _Lease, now: float) -> Decision:
        lease.tokens -= 1
        if lease.refill is None and self._running_low(plan, lease, now):
            self._start_refill(slot, plan, lease, _batch(plan))  # the next batch, off the hot path
        return decide(slot[1], plan, lease.shared_left + lease.tokens, True)

    def _running_low(self, plan: Plan, lease: _Lease, now: float) -> bool:
        """Renew ahead (a lease of 4 or more tokens): a tenth of it left, or in its last fifth of
        life. Requests then never wait for Redis while the consumer stays under its limit."""
        batch = _batch(plan)
        return batch >= 4 and (lease.tokens <= batch // 10 or lease.expires - now < self._renew_before)

    def _start_refill(self, slot: tuple[str, str], plan: Plan, lease: _Lease, want: int) -> asyncio.Task:
        lease.refill = asyncio.get_running_loop().create_task(self._refill(slot, plan, lease, want))
        return lease.refill

    async def _refill(self, slot: tuple[str, str], plan: Plan, lease: _Lease, want: int) -> bool:
        """Take up to `want` tokens from the shared bucket into the lease; False when Redis failed.
        Tokens still unspent in a live lease stay, and the lease lives on from now."""
        try:
            granted, left_milli = await self._script(
                keys=[f"hub:rl:{slot[1]}:{slot[0]}"], args=[plan.rate_per_second, plan.burst, want])
        except Exception:  # Redis unreachable or failing: the callers fail open to local buckets
            return False
        finally:
            lease.refill = None
        now = self._clock()
        lease.shared_left = int(left_milli) / 1000.0
        kept = lease.tokens if lease.expires > now else 0
        if int(granted) == 0:
            lease.tokens = kept
            lease.denied_until = now + (1.0 - lease.shared_left) / plan.rate_per_second
            return True
        lease.tokens = kept + int(granted)
        lease.expires = now + self._lease_seconds
        lease.denied_until = 0.0
        return True

    async def _local(self, consumer: str, plan_name: str, now: float) -> Decision:
        self._fallbacks.inc()
        if now - self._last_log > 10:
            self._last_log = now
            log.warning("rate limits: Redis unavailable, limiting per instance (fail open)")
        return await self._fallback.hit(consumer, plan_name)


def _batch(plan: Plan) -> int:
    """A lease: about 50 ms of the plan's rate, at most a tenth of the burst, at least one."""
    return max(1, min(plan.burst // 10, math.ceil(plan.rate_per_second * 0.05)))
