"""Noting which calls of a fake were cancelled: the check that work a request started ended with
it. (Checking that no task is pending instead is unreliable: a task left pending can be
garbage-collected before the check sees it.)"""

from __future__ import annotations

import asyncio


def noting_cancellations(fake: object, method: str) -> list[object]:
    """Wrap ``fake.method``; the first argument of each of its calls that was cancelled is
    appended to the list returned."""
    call, ended = getattr(fake, method), []

    async def noted(first: object, *args: object, **kwargs: object) -> object:
        try:
            return await call(first, *args, **kwargs)
        except asyncio.CancelledError:
            ended.append(first)
            raise

    setattr(fake, method, noted)
    return ended
