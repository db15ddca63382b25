"""Group commit: many concurrent callers, one flush for all that arrived together.

``GroupCommit(flush)``: each ``await group.submit(item)`` joins the batch being gathered and
gets its own result back; one task at a time runs ``flush(items) -> results`` (same length,
same order), so while one flush is in its transaction the next callers pile up for the
following one (``parallel`` > 1: up to that many flushes at once, for a store whose
commit is slow but takes concurrent commits together, as PostgreSQL's does). Nothing waits on a timer: a lone caller is flushed at once, a crowd in
batches of up to ``limit``. A flush that raises fails every caller of its batch. A caller
cancelled while waiting does not stop the flush (its item is still written: what a crash
after the statement would leave too). ``isolated``: the flush runs in a context of its own,
not the first caller's (its deadline, its current span), for a batch that belongs to no one caller.
``weight`` (with ``max_weight``): a batch also ends once its items weigh that much (an item that
carries many records: a flush stays one bounded transaction); it always holds at least one item.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class GroupCommit(Generic[T, R]):
    def __init__(self, flush: Callable[[list[T]], Awaitable[Sequence[R]]], *, limit: int = 500,
                 parallel: int = 1, isolated: bool = False, weight: Callable[[T], int] | None = None,
                 max_weight: int = 0) -> None:
        self._flush, self._limit, self._parallel = flush, limit, parallel
        self._isolated = isolated
        self._weight, self._max_weight = weight, max_weight
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._runners: set[asyncio.Task] = set()

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        self._runners = {r for r in self._runners if not r.done()}  # a done one's callback may not have run yet
        if len(self._runners) < self._parallel:
            runner = asyncio.create_task(self._run(), context=contextvars.Context() if self._isolated else None)
            self._runners.add(runner)
        return await future

    async def _run(self) -> None:
        await asyncio.sleep(0)  # let the callers already running reach submit() too
        while self._waiting:
            size = self._size()
            batch, self._waiting = self._waiting[:size], self._waiting[size:]
            try:
                results = await self._flush([item for item, _ in batch])
            except asyncio.CancelledError:  # the loop is closing: nobody is left to answer
                for _, future in batch + self._waiting:
                    future.cancel()
                self._waiting = []
                raise
            except Exception as exc:  # noqa: BLE001 - handed to every caller of the batch
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)

    def _size(self) -> int:
        """How many of the waiting items the next flush takes: up to ``limit``, and up to ``max_weight``."""
        if self._weight is None:
            return self._limit
        total = 0
        for n, (item, _) in enumerate(self._waiting[:self._limit], 1):
            total += self._weight(item)
            if total >= self._max_weight:
                return n
        return self._limit
