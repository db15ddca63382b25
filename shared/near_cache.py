"""A near cache: records held in the process for at most ``ttl`` seconds, dropped at once
when told, so that a burst of reads of the same records costs one read of the database.

An entry's age is counted from the moment its read *began*, not from when it was stored: a
value is never older than ``ttl`` when it is served. A read that began before a drop of its
key (or before ``clear``) stores nothing, so a read racing a change can never put the old
value back after the drop. Concurrent reads of one key share one load (``SingleFlight``).

The bound is what makes answers built on it safe to cache further out (the gateway's response
cache drops its answers a second time ``ttl`` after each change: see ``DropAgain``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable, Iterable
from typing import Generic, TypeVar

from shared.singleflight import SingleFlight

V = TypeVar("V")

_GONE = object()


class NearCache(Generic[V]):
    def __init__(self, ttl: float, *, size: int = 20_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._size = size
        self._clock = clock
        self._entries: dict[Hashable, tuple[float, object]] = {}
        """key -> (when its read began, the value), or (when it was dropped, ``_GONE``)."""
        self._cleared = float("-inf")
        self._flight: SingleFlight = SingleFlight()

    @property
    def enabled(self) -> bool:
        return self.ttl > 0

    def now(self) -> float:
        """The clock a read's start is taken on (pass it to ``put``)."""
        return self._clock()

    def get(self, key: Hashable) -> V | None:
        entry = self._entries.get(key)
        if entry is None or entry[1] is _GONE or entry[0] + self.ttl <= self._clock():
            return None
        return entry[1]  # type: ignore[return-value]

    def put(self, key: Hashable, value: V, began: float) -> None:
        """Hold ``value``, read from a start at ``began`` (``now()``), unless a drop came since."""
        if not self.enabled or began <= self._cleared:
            return
        entry = self._entries.get(key)
        if entry is not None and (entry[0] >= began if entry[1] is _GONE else entry[0] > began):
            return  # dropped after this read began, or a newer read is held already
        self._entries.pop(key, None)
        if len(self._entries) >= self._size:
            del self._entries[next(iter(self._entries))]  # the oldest stored
        self._entries[key] = (began, value)

    def drop(self, keys: Iterable[Hashable]) -> None:
        now = self._clock()
        for key in keys:
            self._entries.pop(key, None)
            self._entries[key] = (now, _GONE)
        while len(self._entries) > self._size:
            del self._entries[next(iter(self._entries))]

    def clear(self) -> None:
        self._entries.clear()
        self._cleared = self._clock()

    async def read(self, key: Hashable, load: Callable[[], Awaitable[V]]) -> V:
        """The held value of ``key``, or ``load()``'s (then held)."""
        held = self.get(key)
        if held is not None:
            return held
        began = self.now()
        value = await load()
        self.put(key, value, began)
        return value

    async def shared(self, key: Hashable, load: Callable[[], Awaitable[V]]) -> V:
        """``load()``'s result, one load for every concurrent caller of ``key``."""
        return (await self._flight.run(key, load))[0]


class DropAgain:
    """Runs a drop a second time after ``delay`` seconds: a response cache in front of a near
    cache drops at a change and again once every near entry read before it has expired, so an
    answer built from such an entry between the two drops lives ``delay`` at most."""

    def __init__(self, delay: float) -> None:
        self._delay = delay
        self._pending: set[asyncio.Task] = set()

    def after(self, drop: Callable[[], Awaitable[object]]) -> None:
        if self._delay <= 0:
            return
        task = asyncio.get_running_loop().create_task(self._later(drop))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _later(self, drop: Callable[[], Awaitable[object]]) -> None:
        await asyncio.sleep(self._delay)  # the schedule of the second drop, not a wait for state
        await drop()

    def cancel(self) -> None:
        for task in self._pending:
            task.cancel()
