"""Rate limits per consumer and plan: a token bucket (rate per second, burst).

The plan shows on every authenticated response as the IETF RateLimit fields:
the bucket of burst ``b`` refilling at ``r``/s is the policy ``q=b`` per
window ``w=ceil(b/r)`` seconds; ``r`` is the whole tokens left and ``t`` the
seconds until the bucket is full again. This module is the in-process
limiter (embedded default). Fail-open or fail-closed does not arise here:
memory cannot be unreachable.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Callable, Protocol

import msgspec

from shared.errors import RateLimited
from shared.settings import Plan

if TYPE_CHECKING:
    from gateway.exchange import Exchange
    from shared.identity import Principal
    from gateway.route import Route


class Decision(msgspec.Struct, frozen=True):
    allowed: bool
    plan: str
    quota: int
    window: int
    remaining: int
    reset: int
    retry_after: int = 0

    def headers(self) -> list[tuple[bytes, bytes]]:
        """The two fields; the policy's value is made once per plan and shape."""
        policy = _POLICIES.get((self.plan, self.quota, self.window))
        if policy is None:
            policy = _policy(self.plan, self.quota, self.window)
        return [policy, (b"ratelimit", b'"%s";r=%d;t=%d' % (self.plan.encode(), self.remaining, self.reset))]


_POLICIES: dict[tuple[str, int, int], tuple[bytes, bytes]] = {}


def _policy(plan: str, quota: int, window: int) -> tuple[bytes, bytes]:
    if len(_POLICIES) > 1000:  # plans are few; a plan edited over and over never grows this
        _POLICIES.clear()
    field = _POLICIES[(plan, quota, window)] = (b"ratelimit-policy", b'"%s";q=%d;w=%d' % (plan.encode(), quota, window))
    return field


class RateLimiter(Protocol):
    async def hit(self, consumer: str, plan_name: str) -> Decision: ...


def decide(plan_name: str, plan: Plan, tokens: float, allowed: bool) -> Decision:
    """The decision and its header values for a bucket holding `tokens` after the hit."""
    rate, burst = plan.rate_per_second, plan.burst
    missing = burst - tokens
    return Decision(
        allowed,
        plan_name,
        burst,
        math.ceil(burst / rate),  # burst >= 1 and rate > 0: at least 1
        int(tokens) if tokens > 0 else 0,
        math.ceil(missing / rate) if missing > 0 else 0,
        0 if allowed else max(1, math.ceil((1.0 - tokens) / rate)),
    )


class LocalRateLimiter:
    """Token buckets in this process's memory, one per consumer."""

    def __init__(self, plans: Callable[[], dict[str, Plan]], clock: Callable[[], float] = time.monotonic) -> None:
        self._plans = plans
        self._clock = clock
        self._buckets: dict[str, list[float]] = {}

    async def hit(self, consumer: str, plan_name: str) -> Decision:
        return self.take(consumer, plan_name)

    def take(self, consumer: str, plan_name: str) -> Decision:
        """``hit`` without a coroutine: memory never makes a decision wait."""
        plan = self._plans()[plan_name]
        now = self._clock()
        bucket = self._buckets.get(consumer)
        if bucket is None:
            bucket = self._buckets[consumer] = [float(plan.burst), now]
        tokens = min(float(plan.burst), bucket[0] + (now - bucket[1]) * plan.rate_per_second)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        bucket[0], bucket[1] = tokens, now
        return decide(plan_name, plan, tokens, allowed)


class Limits:
    """The limits policy: the consumer's bucket for its plan; the RateLimit fields on every
    answer, 429 with ``Retry-After`` past the limit. Fails open: with the shared store
    (Redis) unreachable the limiter decides on this instance's own buckets
    (``ratelimit_redis``), so the edge keeps limiting, per instance, and keeps serving."""

    name, fails = "limits", "open"

    def __init__(self, limiter: RateLimiter) -> None:
        self._limiter = limiter
        self._take = getattr(limiter, "take", None)

    def applies(self, route: Route | None) -> bool:
        return route is not None and route.authenticated

    def take(self, principal: Principal) -> Decision | None:
        """The hit lane's question (``gateway.lane``): an allowing decision reached without
        waiting, or None (a refusal, or a limiter that must ask its store: ``enter`` decides)."""
        decision = self._take(principal.consumer, principal.plan) if self._take is not None else None
        return decision if decision is not None and decision.allowed else None

    async def enter(self, exchange: Exchange) -> bool:
        principal = exchange.principal
        decision = await self._limiter.hit(principal.consumer, principal.plan)  # type: ignore[union-attr]
        exchange.extra += decision.headers()
        if not decision.allowed:
            raise RateLimited(
                f"The plan {decision.plan!r} allows {decision.quota} requests per {decision.window} s.",
                headers={"Retry-After": str(decision.retry_after)},
            )
        return False
