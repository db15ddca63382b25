"""A fetch overtaken by an invalidation: kept as stale only when the invalidation was of its own
SKU (or of every SKU); an invalidation of another SKU leaves its answer fresh
(gateway/policies/cache.py ``MemoryStore.changed_since``, cache_redis.py ``RedisStore.get``)."""

from __future__ import annotations

import secrets

import pytest

from gateway.policies.cache import MemoryStore, ResponseCache
from gateway.policies.cache_redis import RedisStore
from tests.clocks import FakeClock


def memory_cache(clock: FakeClock, max_entries: int = 50_000) -> ResponseCache:
    return ResponseCache(MemoryStore(max_entries=max_entries, clock=clock), ttl=30, stale=600, clock=clock)


async def fetch_across(cache: ResponseCache, sku: str, invalidate) -> bool:  # noqa: ANN001
    """Store `sku`'s answer as a fetch does, with `invalidate` run while it was under way;
    whether the answer was kept fresh."""
    key = f"/v1/storefront/products/{sku}?currency=USD&quantity=1#-"
    epoch = cache.epoch()
    await invalidate()
    await cache.store_entry(key, cache.make_entry(b"{}", b"application/json", sku), epoch)
    return cache.fresh_local(key) is not None


async def test_an_invalidation_of_another_sku_during_a_fetch_leaves_its_answer_fresh(clock) -> None:
    cache = memory_cache(clock)
    assert await fetch_across(cache, "SKU-A", lambda: cache.invalidate("SKU-B"))
    assert await fetch_across(cache, "SKU-A", lambda: cache.invalidate_many(["SKU-B", "SKU-C"]))


@pytest.mark.parametrize("change", ["one", "batch", "every", "purge"])
async def test_an_invalidation_of_its_own_sku_during_a_fetch_keeps_the_answer_stale_only(clock, change) -> None:
    cache = memory_cache(clock)
    invalidate = {"one": lambda: cache.invalidate("SKU-A"),
                  "batch": lambda: cache.invalidate_many(["SKU-B", "SKU-A"]),
                  "every": lambda: cache.invalidate(None),
                  "purge": lambda: cache.purge("SKU-A")}[change]
    assert not await fetch_across(cache, "SKU-A", invalidate)
    key = "/v1/storefront/products/SKU-A?currency=USD&quantity=1#-"
    assert cache.can_serve_stale(cache.entry(key))  # still kept for stale-if-error
    assert await fetch_across(cache, "SKU-A", lambda: cache.invalidate("SKU-B"))  # the next fetch is fresh


async def test_the_record_of_invalidated_skus_is_bounded_and_clearing_it_counts_as_every_sku(clock) -> None:
    cache = memory_cache(clock, max_entries=3)
    store = cache.store
    epoch = cache.epoch()
    await cache.invalidate_many(["SKU-1", "SKU-2", "SKU-3"])
    assert len(store._changed) == 3 and not store.changed_since("SKU-9", epoch)
    await cache.invalidate("SKU-4")  # one more than the bound: the record is cleared
    assert len(store._changed) == 0
    assert store.changed_since("SKU-9", epoch)  # a fetch under way then is kept stale only
    after = cache.epoch()
    await cache.invalidate("SKU-5")
    assert not store.changed_since("SKU-9", after) and store.changed_since("SKU-5", after)


@pytest.mark.redis
async def test_a_shared_read_across_another_skus_invalidation_is_kept_locally(client, clock) -> None:
    writer = ResponseCache(RedisStore(client, lambda: True, clock=clock), ttl=30, stale=600, clock=clock)
    reader_store = RedisStore(client, lambda: True, clock=clock)
    reader = ResponseCache(reader_store, ttl=30, stale=600, clock=clock)
    mine, other = f"SKU-{secrets.token_hex(4)}", f"SKU-{secrets.token_hex(4)}"
    key = f"/v1/storefront/products/{mine}?currency=USD&quantity=1#-"
    await writer.store_entry(key, writer.make_entry(b"{}", b"application/json", mine), writer.epoch())

    reads = reader_store._reads
    submit = reads.submit

    async def overtaken_by(sku: str):  # noqa: ANN202
        async def read(k):  # noqa: ANN001, ANN202
            answer = await submit(k)
            await reader_store._local.invalidate(sku, drop=False)  # lands while the read is out
            return answer
        reads.submit = read
        try:
            return await reader.lookup(key)
        finally:
            reads.submit = submit

    entry = await overtaken_by(other)
    assert entry is not None and reader.is_fresh(entry)
    assert reader.fresh_local(key) is not None  # kept: the next hit needs no round trip

    await reader_store._local.invalidate(mine, drop=True)  # forget the local copy
    entry = await overtaken_by(mine)
    assert entry is not None and not reader.is_fresh(entry)  # answered, not as fresh
    assert reader.entry(key) is None  # and never kept
