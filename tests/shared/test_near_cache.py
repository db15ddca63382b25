"""The near cache: never older than its ttl, dropped at once, and a read racing a drop never
puts the old value back; the second drop runs by itself."""

from __future__ import annotations

import asyncio

import pytest

from shared.near_cache import DropAgain, NearCache


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def near(ttl: float = 0.5, size: int = 100) -> tuple[NearCache[str], Clock]:
    clock = Clock()
    return NearCache(ttl, size=size, clock=clock), clock


def test_a_value_is_served_until_ttl_after_its_read_began() -> None:
    cache, clock = near()
    began = cache.now()
    clock.now += 0.3  # the read took 0.3 s
    cache.put("SKU-1", "old", began)
    assert cache.get("SKU-1") == "old"
    clock.now += 0.19
    assert cache.get("SKU-1") == "old"
    clock.now += 0.01  # 0.5 s after the read began, not after the put
    assert cache.get("SKU-1") is None


def test_a_drop_ends_the_value_at_once() -> None:
    cache, _ = near()
    cache.put("SKU-1", "old", cache.now())
    cache.put("SKU-2", "kept", cache.now())
    cache.drop(["SKU-1"])
    assert (cache.get("SKU-1"), cache.get("SKU-2")) == (None, "kept")


def test_a_read_that_began_before_a_drop_stores_nothing() -> None:
    cache, clock = near()
    began = cache.now()
    clock.now += 0.1
    cache.drop(["SKU-1"])  # the change lands while the read is under way
    clock.now += 0.1
    cache.put("SKU-1", "read before the change", began)
    assert cache.get("SKU-1") is None
    cache.put("SKU-1", "read after it", cache.now())
    assert cache.get("SKU-1") == "read after it"


def test_a_read_that_began_before_a_clear_stores_nothing() -> None:
    cache, clock = near()
    began = cache.now()
    clock.now += 0.1
    cache.clear()
    cache.put("SKU-1", "stale", began)
    assert cache.get("SKU-1") is None


def test_an_older_read_never_replaces_a_newer_one() -> None:
    cache, clock = near()
    older = cache.now()
    clock.now += 0.1
    cache.put("SKU-1", "newer", cache.now())
    cache.put("SKU-1", "older", older)
    assert cache.get("SKU-1") == "newer"


def test_ttl_zero_holds_nothing() -> None:
    cache, _ = near(ttl=0)
    cache.put("SKU-1", "v", cache.now())
    assert cache.get("SKU-1") is None and not cache.enabled


def test_the_cache_is_bounded_and_drops_the_oldest_first() -> None:
    cache, _ = near(size=3)
    for n in range(5):
        cache.put(f"SKU-{n}", str(n), cache.now())
    assert [cache.get(f"SKU-{n}") for n in range(5)] == [None, None, "2", "3", "4"]
    cache.drop([f"DROPPED-{n}" for n in range(10)])  # tombstones are bounded too
    assert len(cache._entries) <= 3


async def test_a_value_read_through_is_held_and_a_failed_read_holds_nothing() -> None:
    cache, _ = near()
    reads: list[str] = []

    async def fails() -> str:
        reads.append("fails")
        raise RuntimeError("backend down")

    async def answers() -> str:
        reads.append("answers")
        return "v"

    with pytest.raises(RuntimeError):
        await cache.read("SKU-1", fails)
    assert await cache.read("SKU-1", answers) == "v"
    assert await cache.read("SKU-1", fails) == "v"  # held: not read again
    assert reads == ["fails", "answers"]


async def test_the_second_drop_runs_by_itself_after_the_delay() -> None:
    again = DropAgain(0.05)
    dropped = asyncio.Event()

    async def drop() -> None:
        dropped.set()

    again.after(drop)
    assert not dropped.is_set()
    await asyncio.wait_for(dropped.wait(), timeout=5)


async def test_no_second_drop_without_a_near_cache() -> None:
    again = DropAgain(0.0)
    calls: list[int] = []

    async def drop() -> None:
        calls.append(1)

    again.after(drop)
    assert again._pending == set() and calls == []
