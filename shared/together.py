"""Concurrent awaits that end with their caller.

``asyncio.gather`` raises as soon as one of its awaitables fails and leaves the others
running: a request that answers 404 for an unknown SKU left its stock read (a source call and
the recording of its answer) going on behind it, owned by nobody, and a request whose client
went away had its siblings cancelled but not waited for. ``together`` is gather with an end:
when one fails, or the caller is cancelled, the others are cancelled and awaited before the
first error propagates, as itself (``asyncio.TaskGroup`` would wrap it in an ExceptionGroup,
and callers catch ``NotFound``, ``BackendError``, ``TimeoutError``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any


async def together(*awaitables: Awaitable[Any]) -> list[Any]:
    """The results of ``awaitables`` run concurrently, in their order."""
    tasks = [asyncio.ensure_future(each) for each in awaitables]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        for task in tasks:  # retrieved here: the first of them is on its way up already
            if not task.cancelled():
                task.exception()
        raise
