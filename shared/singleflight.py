"""Single flight: concurrent callers asking for the same key share one call.

The first caller (the leader) starts the call; the others wait for its result,
or its exception, instead of making the same call again. Used where a burst
would otherwise stampede a backend: cache misses, expired key look-ups.

The call runs as its own task and belongs to all its callers together: one
caller going away (its client left, or ``together`` cancelled it because a
sibling read failed) neither cancels the call for the others nor hands them
its ``CancelledError``. The call is cancelled, and waited for, only when the
last of its callers goes away, so nothing runs on behind everyone; from that moment it is no
longer the key's flight, so a caller arriving while it ends starts a call of its own instead
of joining one that can only end cancelled.
"""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable, Generic, Hashable, TypeVar

T = TypeVar("T")


class _Flight:
    __slots__ = ("task", "waiting")

    def __init__(self, task: asyncio.Task) -> None:
        self.task = task
        self.waiting = 0


class SingleFlight(Generic[T]):
    def __init__(self) -> None:
        self._running: dict[Hashable, _Flight] = {}

    async def run(self, key: Hashable, call: Callable[[], Awaitable[T]]) -> tuple[T, bool]:
        """The call's result for every concurrent caller of `key`, and whether this caller led."""
        flight = self._running.get(key)
        led = flight is None
        if flight is None:
            flight = _Flight(asyncio.ensure_future(call()))
            self._running[key] = flight
            flight.task.add_done_callback(lambda _, f=flight: self._land(key, f))
        flight.waiting += 1
        try:
            return await asyncio.shield(flight.task), led
        except asyncio.CancelledError:
            if flight.waiting == 1 and not flight.task.done():
                flight.task.cancel()  # the last caller left: nobody wants the answer
                self._forget(key, flight)
                await asyncio.wait([flight.task])
            raise
        finally:
            flight.waiting -= 1

    def _forget(self, key: Hashable, flight: _Flight) -> None:
        if self._running.get(key) is flight:
            del self._running[key]

    def _land(self, key: Hashable, flight: _Flight) -> None:
        self._forget(key, flight)
        if not flight.task.cancelled():
            flight.task.exception()  # retrieved: the callers raise it themselves
