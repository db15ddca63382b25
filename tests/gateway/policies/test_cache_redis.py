"""The Redis-shared response cache (gateway/policies/cache_redis.py) against the real Redis:
a hit needs no round trip while the bus delivers, at most one per key per second while it
does not, and a change elsewhere still shows within that second."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from gateway.policies.cache import ResponseCache
from gateway.policies.cache_redis import RedisStore
from tests.clocks import FakeClock

pytestmark = pytest.mark.redis


class Bus:
    """Whether the bus delivers, switched by the test."""

    def __init__(self) -> None:
        self.up = True

    def __call__(self) -> bool:
        return self.up


def counting(client):  # noqa: ANN001, ANN201
    """Count the store's entry reads (MGET) on `client`."""
    calls = [0]
    mget = client.mget

    async def wrapped(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls[0] += 1
        return await mget(*args, **kwargs)

    client.mget = wrapped
    return calls


async def stored(client, clock: FakeClock, bus: Bus) -> tuple[ResponseCache, str]:  # noqa: ANN001
    cache = ResponseCache(RedisStore(client, bus, clock=clock), ttl=30, stale=600, clock=clock)
    key = f"/v1/storefront/products/SKU-{secrets.token_hex(4)}?currency=USD&quantity=1#-"
    await cache.store_entry(key, cache.make_entry(b"{}", b"application/json", key.split("/")[-1][:12]), cache.epoch())
    return cache, key


async def test_with_the_bus_up_a_hit_is_local(client, clock) -> None:
    bus = Bus()
    cache, key = await stored(client, clock, bus)
    calls = counting(client)
    assert all(cache.fresh_local(key) is not None for _ in range(100))
    assert calls[0] == 0


async def test_with_the_bus_down_a_confirmed_entry_serves_for_a_second_then_is_rechecked(client, clock) -> None:
    bus = Bus()
    cache, key = await stored(client, clock, bus)
    bus.up = False
    calls = counting(client)
    clock.advance(0.9)
    assert cache.fresh_local(key) is not None  # confirmed by our own write 0.9 s ago
    clock.advance(0.2)
    assert cache.fresh_local(key) is None  # past the near-cache second: ask Redis
    shared = await cache.lookup(key)
    assert shared is not None and cache.is_fresh(shared) and calls[0] == 1
    assert cache.fresh_local(key) is not None  # confirmed again, for another second


async def test_with_the_bus_down_an_invalidation_elsewhere_shows_within_the_second(client, clock) -> None:
    bus = Bus()
    cache, key = await stored(client, clock, bus)
    bus.up = False
    other = ResponseCache(RedisStore(client, Bus(), clock=clock), ttl=30, stale=600, clock=clock)
    await other.invalidate(cache.entry(key).sku)  # another instance hears the event; ours does not
    clock.advance(1.01)
    assert cache.fresh_local(key) is None
    shared = await cache.lookup(key)
    assert shared is not None and not cache.is_fresh(shared)  # kept for stale-if-error only


async def test_a_batch_invalidation_ends_exactly_its_skus_here_and_elsewhere_in_two_round_trips(client, clock) -> None:
    """A batch of stock reports drops its SKUs' answers with one pipeline of index reads and one
    delete, not two round trips per SKU; the other SKUs' answers stay fresh."""
    bus = Bus()
    cache = ResponseCache(RedisStore(client, bus, clock=clock), ttl=30, stale=600, clock=clock)
    tag = secrets.token_hex(4)
    keys = {}
    for n in range(5):
        sku = f"SKU-{tag}-{n}"
        keys[sku] = f"/v1/storefront/products/{sku}?currency=USD&quantity=1#-"
        await cache.store_entry(keys[sku], cache.make_entry(b"{}", b"application/json", sku), cache.epoch())
    other = ResponseCache(RedisStore(client, Bus(), clock=clock), ttl=30, stale=600, clock=clock)
    sent = []
    execute = client.execute_command

    async def wrapped(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        sent.append(args[0])
        return await execute(*args, **kwargs)

    client.execute_command = wrapped
    epoch = cache.epoch()
    dropped = [f"SKU-{tag}-{n}" for n in (0, 2, 3)]
    await cache.invalidate_many(dropped)
    client.execute_command = execute
    assert sent == ["DEL"] and cache.epoch() > epoch  # the index reads went in one pipeline
    for sku, key in keys.items():
        assert (cache.fresh_local(key) is None) == (sku in dropped)
        shared = await other.lookup(key)  # what every other instance reads from Redis
        assert shared is not None and other.is_fresh(shared) == (sku not in dropped)
    await cache.invalidate_many([])  # nothing named: nothing done


async def test_the_memory_store_drops_a_batch_of_skus_and_only_those(clock) -> None:
    from gateway.policies.cache import MemoryStore

    cache = ResponseCache(MemoryStore(clock=clock), ttl=30, stale=600, clock=clock)
    for sku in ("A", "B", "C"):
        await cache.store_entry(f"/p/{sku}", cache.make_entry(b"{}", b"application/json", sku), cache.epoch())
    await cache.invalidate_many(["A", "C", "UNKNOWN"])
    assert [cache.fresh_local(f"/p/{s}") is None for s in ("A", "B", "C")] == [True, False, True]
    assert cache.can_serve_stale(cache.entry("/p/A"))  # kept for stale-if-error


async def test_misses_arriving_together_share_one_read_and_one_write_each_answered_its_own(client, clock) -> None:
    """Twenty misses at once: one MGET for their look-ups and one pipeline for their answers
    (twenty of each before), and every key still gets its own entry, here and elsewhere."""
    cache = ResponseCache(RedisStore(client, Bus(), clock=clock), ttl=30, stale=600, clock=clock)
    tag = secrets.token_hex(4)
    keys = [f"/v1/storefront/products/SKU-{tag}?currency=USD&quantity={n}#-" for n in range(20)]
    reads = counting(client)
    assert await asyncio.gather(*(cache.lookup(k) for k in keys)) == [None] * 20
    assert reads[0] == 1
    pipelines = [0]
    pipeline = client.pipeline

    def counted(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        pipelines[0] += 1
        return pipeline(*args, **kwargs)

    client.pipeline = counted
    await asyncio.gather(*(cache.store_entry(k, cache.make_entry(f'{{"n": {n}}}'.encode(), b"application/json",
                                                                   f"SKU-{tag}"), cache.epoch())
                           for n, k in enumerate(keys)))
    assert pipelines[0] == 1
    other = ResponseCache(RedisStore(client, Bus(), clock=clock), ttl=30, stale=600, clock=clock)
    found = await asyncio.gather(*(other.lookup(k) for k in keys))
    assert [e.body for e in found] == [f'{{"n": {n}}}'.encode() for n in range(20)]
    assert all(other.is_fresh(e) for e in found) and reads[0] == 2
    assert await client.ttl(f"hub:c:sku:SKU-{tag}") > 600  # the index lives as long as its entries


async def test_a_failed_shared_read_leaves_each_miss_its_local_copy(client, clock) -> None:
    cache, key = await stored(client, clock, Bus())

    async def down(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise ConnectionError("Redis is down")

    client.mget = down
    found = await asyncio.gather(*(cache.lookup(key) for _ in range(5)), cache.lookup("absent#-"))
    assert [e is not None for e in found] == [True] * 5 + [False]
