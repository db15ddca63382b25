"""A connection's throttle (``rate_per_second``): its requests spaced evenly, never faster.

``PacedTransport`` wraps the connection's httpx transport: each request takes
the next free slot (``1 / rate`` seconds after the one before) and waits for it,
so a burst leaves at the vendor's pace instead of earning 429s. Retries go
through it too. The vendor's own throttle answers (429 with ``Retry-After``)
are still honoured by the guard.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import httpx


class PacedTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, rate_per_second: float, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[object]] = asyncio.sleep) -> None:
        self._inner, self._interval = inner, 1.0 / rate_per_second
        self._clock, self._sleep = clock, sleep
        self._next = 0.0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        now = self._clock()
        slot = max(now, self._next)
        self._next = slot + self._interval
        if slot > now:
            await self._sleep(slot - now)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()
