"""The Redis rate limiter against the real Redis: a plan's limit holds across
instances, leases keep the hot path off Redis, and a Redis failure fails open."""

from __future__ import annotations

import asyncio
import secrets

import pytest
import redis.asyncio as redis

from gateway.policies.ratelimit_redis import RedisRateLimiter
from shared.metrics import Registry
from shared.settings import Plan
from tests.clocks import FakeClock

pytestmark = pytest.mark.redis


@pytest.fixture
async def client(redis_url):
    c = redis.Redis(connection_pool=redis.BlockingConnectionPool.from_url(redis_url, max_connections=32, timeout=5))
    yield c
    await c.aclose()


def limiter(client, plans, clock=None, registry=None):  # noqa: ANN001, ANN201
    return RedisRateLimiter(client, lambda: plans, registry or Registry(), **({"clock": clock} if clock else {}))


def count_redis_calls(rl) -> list[int]:  # noqa: ANN001
    """Wrap the limiter's Redis script; the returned list's one item counts its calls."""
    calls = [0]
    script = rl._script

    async def counting(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls[0] += 1
        return await script(*args, **kwargs)

    rl._script = counting
    return calls


async def test_three_instances_together_never_exceed_the_burst(client):
    plans = {"tight": Plan(rate_per_second=0.001, burst=60)}  # no refill during the test
    instances = [limiter(client, plans) for _ in range(3)]
    consumer = f"c-{secrets.token_hex(4)}"
    decisions = await asyncio.gather(*(instances[i % 3].hit(consumer, "tight") for i in range(300)))
    allowed = sum(d.allowed for d in decisions)
    assert 57 <= allowed <= 60  # strict side only: at most one unspent lease per instance
    assert all(d.retry_after >= 1 for d in decisions if not d.allowed)


async def test_sustained_rate_across_instances_stays_within_five_percent(client):
    rate, burst = 200.0, 20
    plans = {"p": Plan(rate_per_second=rate, burst=burst)}
    instances = [limiter(client, plans) for _ in range(4)]
    consumer = f"c-{secrets.token_hex(4)}"
    loop = asyncio.get_running_loop()
    started = loop.time()
    allowed = 0
    while loop.time() - started < 1.5:
        results = await asyncio.gather(*(inst.hit(consumer, "p") for inst in instances for _ in range(5)))
        allowed += sum(d.allowed for d in results)
        await asyncio.sleep(0.002)
    elapsed = loop.time() - started
    assert allowed <= (burst + rate * elapsed) * 1.05


async def test_a_lease_serves_requests_without_a_redis_call(client):
    plans = {"big": Plan(rate_per_second=10_000, burst=20_000)}  # batch = 500 tokens
    rl = limiter(client, plans)
    calls = count_redis_calls(rl)
    consumer = f"c-{secrets.token_hex(4)}"
    decisions = [await rl.hit(consumer, "big") for _ in range(400)]
    assert all(d.allowed for d in decisions)
    assert calls[0] == 1


async def test_refusal_is_remembered_without_asking_redis_again(client):
    clock = FakeClock()
    plans = {"p": Plan(rate_per_second=1, burst=1)}
    rl = limiter(client, plans, clock)
    consumer = f"c-{secrets.token_hex(4)}"
    assert (await rl.hit(consumer, "p")).allowed
    denied = await rl.hit(consumer, "p")
    assert not denied.allowed and denied.retry_after == 1
    rl._script = None  # any Redis call now would blow up
    assert not (await rl.hit(consumer, "p")).allowed


async def test_redis_down_fails_open_to_local_limits_and_counts_it():
    dead = redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    registry = Registry()
    rl = limiter(dead, {"p": Plan(rate_per_second=1, burst=2)}, registry=registry)
    decisions = [await rl.hit("c", "p") for _ in range(3)]
    assert [d.allowed for d in decisions] == [True, True, False]
    assert "hub_ratelimit_fallback_total 3" in registry.render()
    await dead.aclose()


async def test_a_burst_of_concurrent_requests_shares_one_lease_and_is_not_refused(client):
    plans = {"big": Plan(rate_per_second=1_000_000, burst=1_000_000)}
    rl = limiter(client, plans)
    calls = count_redis_calls(rl)
    consumer = f"c-{secrets.token_hex(4)}"
    decisions = await asyncio.gather(*(rl.hit(consumer, "big") for _ in range(64)))
    assert all(d.allowed for d in decisions)
    assert calls[0] == 1


def gate_redis_calls(rl) -> tuple[list[int], asyncio.Event, asyncio.Event]:  # noqa: ANN001
    """Let the limiter's first Redis call through; hold later ones until `release` is set.
    Returns (calls, started: set when a held call begins, release)."""
    calls, started, release = [0], asyncio.Event(), asyncio.Event()
    script = rl._script

    async def gated(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls[0] += 1
        if calls[0] > 1:
            started.set()
            await release.wait()
        return await script(*args, **kwargs)

    rl._script = gated
    return calls, started, release


async def test_a_lease_running_low_is_renewed_in_the_background_while_requests_go_on(client):
    plans = {"big": Plan(rate_per_second=10_000, burst=20_000)}  # batch 500, renewed at 50 left
    rl = limiter(client, plans)
    calls, started, release = gate_redis_calls(rl)
    consumer = f"c-{secrets.token_hex(4)}"
    decisions = [await rl.hit(consumer, "big") for _ in range(451)]  # the 451st leaves 49
    await started.wait()  # the renewal is running, held by the gate ...
    decisions += [await rl.hit(consumer, "big") for _ in range(49)]  # ... and the lease's rest is spent meanwhile
    assert all(d.allowed for d in decisions) and calls[0] == 2
    release.set()
    assert (await rl.hit(consumer, "big")).allowed  # from the renewed lease
    assert calls[0] == 2


async def test_a_lease_near_its_end_is_renewed_before_it_expires(client):
    clock = FakeClock()
    plans = {"big": Plan(rate_per_second=10_000, burst=20_000)}
    rl = limiter(client, plans, clock)
    calls, started, release = gate_redis_calls(rl)
    consumer = f"c-{secrets.token_hex(4)}"
    assert (await rl.hit(consumer, "big")).allowed
    clock.advance(0.21)  # into the last fifth of a 0.25 s lease, tokens to spare
    assert (await rl.hit(consumer, "big")).allowed
    await started.wait()
    release.set()
    clock.advance(0.1)  # the first lease is over; the renewed one serves
    decision = await rl.hit(consumer, "big")
    assert decision.allowed and calls[0] == 2


async def test_concurrent_requests_without_a_lease_share_one_call_sized_for_them(client):
    plans = {"slow": Plan(rate_per_second=1, burst=30)}  # batch 1: no renewal ahead
    rl = limiter(client, plans)
    calls = count_redis_calls(rl)
    consumer = f"c-{secrets.token_hex(4)}"
    decisions = await asyncio.gather(*(rl.hit(consumer, "slow") for _ in range(20)))
    assert all(d.allowed for d in decisions)
    assert calls[0] <= 3  # the first call for one, the next for all still waiting


async def test_take_spends_a_live_lease_without_waiting_and_leaves_the_rest_to_hit(client):
    """The hit lane's question (gateway/lane.py): a token of the live lease, else None, never a wait."""
    clock = FakeClock()
    plans = {"p": Plan(rate_per_second=100.0, burst=100)}  # a lease of 5 tokens
    rl = limiter(client, plans, clock)
    consumer = f"c-{secrets.token_hex(4)}"
    calls = count_redis_calls(rl)
    assert rl.take(consumer, "p") is None, "no lease yet: only hit (Redis) can decide"
    first = await rl.hit(consumer, "p")
    assert first.allowed and calls == [1]
    taken = [rl.take(consumer, "p") for _ in range(4)]
    assert all(d is not None and d.allowed for d in taken) and calls == [1]
    assert [d.remaining for d in taken] == sorted((d.remaining for d in taken), reverse=True)
    assert rl.take(consumer, "p") is None, "the lease is spent"
    await rl.hit(consumer, "p")
    clock.advance(1.0)  # past the lease's life
    assert rl.take(consumer, "p") is None, "an expired lease is never spent"
