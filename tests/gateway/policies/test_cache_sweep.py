"""Entries past their stale window leave the response cache's memory: they can never be served
again, not even as stale-if-error (gateway/policies/cache.py ``MemoryStore``). Before, only the
entry bound (50,000) dropped them, so every distinct request a gateway answered stayed in its
memory until that bound: the one-hour soak's gateways grew by about 6 MiB/h."""

from __future__ import annotations

import pytest

from gateway.policies.cache import SWEEP_SECONDS, MemoryStore, ResponseCache
from gateway.policies.cache_redis import RedisStore
from tests.clocks import FakeClock

TTL, STALE = 30, 600


def key(sku: str, quantity: int = 1) -> str:
    return f"/v1/storefront/products/{sku}?currency=USD&quantity={quantity}#-"


async def fill(cache: ResponseCache, sku: str, quantities: range) -> None:
    for q in quantities:
        await cache.store_entry(key(sku, q), cache.make_entry(b"{}", b"application/json", sku), cache.epoch())


async def test_entries_past_their_stale_window_are_dropped_and_live_ones_kept(clock: FakeClock) -> None:
    store = MemoryStore(clock=clock)
    cache = ResponseCache(store, ttl=TTL, stale=STALE, clock=clock)
    await fill(cache, "SKU-OLD", range(1, 101))  # a hundred distinct quantities, each answered once
    clock.advance(TTL + STALE - 1)
    await fill(cache, "SKU-NEW", range(1, 2))
    assert cache.entry(key("SKU-OLD", 1)) is not None  # still inside its stale window: kept
    clock.advance(SWEEP_SECONDS)  # past the window, and the next sweep is due
    await fill(cache, "SKU-NEW", range(2, 3))
    assert [k for k in store._entries if "SKU-OLD" in k] == []  # past it: gone, not kept to the bound
    assert "SKU-OLD" not in store._by_sku  # and its index with them
    assert cache.entry(key("SKU-NEW", 1)) is not None and cache.entry(key("SKU-NEW", 2)) is not None


async def test_a_steady_stream_of_new_requests_holds_only_what_it_may_still_serve(clock: FakeClock) -> None:
    store = MemoryStore(clock=clock)
    cache = ResponseCache(store, ttl=TTL, stale=STALE, clock=clock)
    for second in range(3 * (TTL + STALE)):  # one new request a second for three of its lives
        await fill(cache, "SKU-1", range(second, second + 1))
        clock.advance(1)
    assert len(store._entries) <= TTL + STALE + SWEEP_SECONDS + 1


@pytest.mark.redis
async def test_the_redis_stores_local_copy_is_swept_too(clock: FakeClock, client) -> None:  # noqa: ANN001
    store = RedisStore(client, trust_local=lambda: True, clock=clock)
    cache = ResponseCache(store, ttl=TTL, stale=STALE, clock=clock)
    await fill(cache, "SKU-OLD", range(1, 11))
    clock.advance(TTL + STALE + 1)
    await fill(cache, "SKU-NEW", range(1, 2))
    assert store.get_local(key("SKU-OLD", 1)) is None and store.get_local(key("SKU-NEW", 1)) is not None
