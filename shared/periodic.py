"""One periodic round runner for the pollers (shipments, return receipts, channel orders).

``run_every(round_, interval, ...)`` awaits ``round_()``, then sleeps ``interval``
seconds (plus up to ``jitter`` more, drawn each time, so instances started together
drift apart), and again, until the task running it is cancelled. A round that
raises is logged (``<what> round failed``, with the traceback) and the next one
comes on time: a database hiccup or a bug in one round never stops the loop.
Cancellation is never swallowed, whether it lands in a round or in the sleep.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable


async def run_every(round_: Callable[[], Awaitable[object]], interval: float, *, log: logging.Logger, what: str,
                    jitter: float = 0.0) -> None:
    """Run ``round_`` every ``interval`` seconds (``jitter``: up to that many more) until cancelled."""
    if interval <= 0:
        raise ValueError("a periodic round needs an interval above 0 seconds")
    while True:
        try:
            await round_()
        except Exception:  # noqa: BLE001 - logged; the next round tries again
            log.exception("%s round failed", what)
        await asyncio.sleep(interval + (random.uniform(0.0, jitter) if jitter > 0 else 0.0))
