"""The in-process token bucket (gateway/policies/ratelimit.py) on an injected clock."""

from __future__ import annotations

import pytest

from gateway.policies.ratelimit import Decision, LocalRateLimiter
from shared.settings import Plan
from tests.clocks import FakeClock

PLANS = {"small": Plan(rate_per_second=2, burst=4), "standard": Plan(rate_per_second=20, burst=40)}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def limiter(clock: FakeClock) -> LocalRateLimiter:
    return LocalRateLimiter(lambda: PLANS, clock=clock)


async def hits(limiter: LocalRateLimiter, n: int, consumer: str = "shop", plan: str = "small") -> list[Decision]:
    return [await limiter.hit(consumer, plan) for _ in range(n)]


async def test_a_full_bucket_serves_the_burst_counting_down(limiter: LocalRateLimiter) -> None:
    decisions = await hits(limiter, 4)
    assert [d.allowed for d in decisions] == [True] * 4
    assert [d.remaining for d in decisions] == [3, 2, 1, 0]
    assert [d.reset for d in decisions] == [1, 1, 2, 2]  # ceil(used / 2 per s)
    assert {(d.quota, d.window) for d in decisions} == {(4, 2)}


async def test_past_the_burst_a_hit_is_refused_with_retry_after(limiter: LocalRateLimiter) -> None:
    refused = (await hits(limiter, 5))[-1]
    assert (refused.allowed, refused.remaining, refused.retry_after, refused.reset) == (False, 0, 1, 2)


async def test_a_refused_hit_takes_no_token(limiter: LocalRateLimiter, clock: FakeClock) -> None:
    await hits(limiter, 10)
    clock.now += 0.5  # one token back at 2/s
    assert [d.allowed for d in await hits(limiter, 2)] == [True, False]


async def test_tokens_come_back_at_the_plan_rate(limiter: LocalRateLimiter, clock: FakeClock) -> None:
    await hits(limiter, 4)
    clock.now += 0.25
    assert (await limiter.hit("shop", "small")).allowed is False  # half a token
    clock.now += 0.25
    assert (await limiter.hit("shop", "small")).allowed is True


async def test_the_bucket_never_holds_more_than_the_burst(limiter: LocalRateLimiter, clock: FakeClock) -> None:
    await hits(limiter, 1)
    clock.now += 3600
    assert [d.allowed for d in await hits(limiter, 5)] == [True] * 4 + [False]


async def test_retry_after_is_the_wait_for_one_whole_token(clock: FakeClock) -> None:
    slow = LocalRateLimiter(lambda: {"slow": Plan(rate_per_second=0.25, burst=1)}, clock=clock)
    await slow.hit("a", "slow")
    clock.now += 1.0  # a quarter of a token back: three more seconds to wait
    refused = await slow.hit("a", "slow")
    assert (refused.allowed, refused.retry_after, refused.window) == (False, 3, 4)


async def test_consumers_have_their_own_buckets(limiter: LocalRateLimiter) -> None:
    await hits(limiter, 5, consumer="noisy")
    assert (await limiter.hit("quiet", "small")).remaining == 3


async def test_the_standard_plan_is_q40_w2(limiter: LocalRateLimiter) -> None:
    decisions = await hits(limiter, 41, plan="standard")
    assert [d.allowed for d in decisions].count(True) == 40 and not decisions[-1].allowed
    assert decisions[-1].retry_after == 1


async def test_a_plan_change_applies_on_the_next_hit(clock: FakeClock) -> None:
    plans = {"p": Plan(rate_per_second=1, burst=2)}
    limiter = LocalRateLimiter(lambda: plans, clock=clock)
    await hits(limiter, 2, plan="p")
    plans["p"] = Plan(rate_per_second=1, burst=10)
    clock.now += 1
    assert (await limiter.hit("shop", "p")).quota == 10


def test_the_headers_are_the_ietf_fields_in_the_contract_form() -> None:
    decision = Decision(allowed=True, plan="standard", quota=40, window=2, remaining=12, reset=2)
    assert dict(decision.headers()) == {
        b"ratelimit-policy": b'"standard";q=40;w=2',
        b"ratelimit": b'"standard";r=12;t=2',
    }
