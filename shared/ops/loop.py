"""One background task calling ``tick`` every ``period`` seconds until stopped (the backend
reports, the connection probes), on the pollers' runner (``shared.periodic.run_every``):
``tick`` handles its own failures; one it does not is logged and the next tick comes on time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from shared.periodic import run_every

log = logging.getLogger("commerce_hub.ops")


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
        await run_every(self._tick, self._period, log=log, what=self._name)
