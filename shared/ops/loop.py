"""One background task calling ``tick`` every ``period`` seconds until stopped (the backend
reports, the connection probes): ``tick`` handles its own failures."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class Every:
    def __init__(self, name: str, period: float, tick: Callable[[], Awaitable[object]]) -> None:
        self._name, self._period, self._tick = name, period, tick
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name=self._name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while True:
            await self._tick()
            await asyncio.sleep(self._period)
