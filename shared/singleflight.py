"""Single flight: concurrent callers asking for the same key share one call.

The first caller (the leader) runs the call; the others wait for its result,
or its exception, instead of making the same call again. Used where a burst
would otherwise stampede a backend: cache misses, expired key look-ups.
"""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable, Generic, Hashable, TypeVar

T = TypeVar("T")


class SingleFlight(Generic[T]):
    def __init__(self) -> None:
        self._running: dict[Hashable, asyncio.Future] = {}

    async def run(self, key: Hashable, call: Callable[[], Awaitable[T]]) -> tuple[T, bool]:
        """The call's result for every concurrent caller of `key`, and whether this caller led."""
        running = self._running.get(key)
        if running is not None:
            return await asyncio.shield(running), False
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            result = await call()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: the followers raise it themselves
            raise
        else:
            future.set_result(result)
            return result, True
        finally:
            del self._running[key]
