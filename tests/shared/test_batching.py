"""GroupCommit: concurrent callers share a flush, each gets its own answer, failures reach
exactly their batch, and a caller arriving just after a flush ended is never stranded."""

from __future__ import annotations

import asyncio

import pytest

from shared.batching import GroupCommit


class Store:
    def __init__(self, fail_on: int | None = None) -> None:
        self.batches: list[list[int]] = []
        self.running = self.most = 0
        self.fail_on = fail_on

    async def flush(self, items: list[int]) -> list[int]:
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            await asyncio.sleep(0)  # a round trip: others arrive meanwhile
            self.batches.append(items)
            if self.fail_on in items:
                raise RuntimeError("database down")
            return [i * 10 for i in items]
        finally:
            self.running -= 1


async def test_concurrent_callers_share_flushes_and_get_their_own_answers() -> None:
    store = Store()
    group = GroupCommit(store.flush)
    answers = await asyncio.gather(*(group.submit(i) for i in range(100)))
    assert answers == [i * 10 for i in range(100)]
    assert len(store.batches) < 10 and sorted(i for b in store.batches for i in b) == list(range(100))
    assert store.most == 1


async def test_a_failed_flush_fails_its_batch_only() -> None:
    store = Store(fail_on=3)
    group = GroupCommit(store.flush, limit=5)
    results = await asyncio.gather(*(group.submit(i) for i in range(10)), return_exceptions=True)
    failed = [i for i, r in enumerate(results) if isinstance(r, RuntimeError)]
    assert failed == [0, 1, 2, 3, 4] and results[5:] == [50, 60, 70, 80, 90]


@pytest.mark.parametrize("parallel", [1, 3])
async def test_callers_one_after_another_are_each_flushed(parallel: int) -> None:
    """Regression: a runner that had finished but whose bookkeeping had not caught up
    counted as running, and the next caller waited for ever."""
    store = Store()
    group = GroupCommit(store.flush, parallel=parallel)
    async with asyncio.timeout(5):  # submit() awaited in this task, not wrapped in a new one
        for i in range(20):
            assert await group.submit(i) == i * 10
    assert store.most <= parallel


async def test_parallel_bounds_the_flushes_in_flight() -> None:
    store = Store()
    group = GroupCommit(store.flush, limit=2, parallel=3)
    await asyncio.gather(*(group.submit(i) for i in range(30)))
    assert 1 < store.most <= 3


async def test_a_weight_bounds_a_flush_and_a_heavy_item_still_goes_alone() -> None:
    store = Store()
    group = GroupCommit(store.flush, weight=lambda i: 100 if i == 0 else 1, max_weight=10)
    answers = await asyncio.gather(*(group.submit(i) for i in range(25)))
    assert answers == [i * 10 for i in range(25)]
    assert store.batches[0] == [0]  # heavier than the bound by itself: a flush of its own
    assert all(len(b) <= 10 for b in store.batches) and sum(map(len, store.batches)) == 25
