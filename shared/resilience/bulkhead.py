"""A bulkhead: cap the calls in flight to one backend so it cannot drown the hub."""

from __future__ import annotations

import asyncio

from shared.errors import BackendUnavailable


class Bulkhead:
    """At most ``max_concurrent`` calls at once; a caller waits at most ``max_wait`` seconds.

    A caller that cannot get a slot in time gets ``BackendUnavailable``
    (code ``backend_unavailable``, detail "... bulkhead full"), so a slow
    backend sheds load here instead of piling up tasks and sockets.
    """

    def __init__(self, name: str, *, max_concurrent: int = 32, max_wait: float = 0.25) -> None:
        self.name = name
        self.max_concurrent = max_concurrent
        self._max_wait = max_wait
        self._slots = asyncio.Semaphore(max_concurrent)
        self.in_flight = 0

    async def acquire(self) -> None:
        """Take a slot, waiting at most ``max_wait``; pair with one ``release``."""
        if self._slots.locked():
            try:
                async with asyncio.timeout(self._max_wait):
                    await self._slots.acquire()
            except TimeoutError as exc:
                raise BackendUnavailable(f"{self.name.upper()} bulkhead full", backend=self.name) from exc
        else:
            await self._slots.acquire()
        self.in_flight += 1

    def release(self) -> None:
        self.in_flight -= 1
        self._slots.release()
