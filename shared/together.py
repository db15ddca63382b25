"""Concurrent awaits that end with their caller.

``asyncio.gather`` raises as soon as one of its awaitables fails and leaves the others
running: a request that answers 404 for an unknown SKU left its stock read (a source call and
the recording of its answer) going on behind it, owned by nobody, and a request whose client
went away had its siblings cancelled but not waited for. ``together`` is gather with an end:
when one fails, or the caller is cancelled, the others are cancelled and awaited before the
first error propagates, as itself (``asyncio.TaskGroup`` would wrap it in an ExceptionGroup,
and callers catch ``NotFound``, ``BackendError``, ``TimeoutError``). A caller cancelled again
while it waits for the work it cancelled (an enclosing ``together`` whose other branch failed)
still waits for that work to end, then raises ``CancelledError``, as ``TaskGroup`` does.
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
        if await _end(tasks):
            raise asyncio.CancelledError from None
        raise


async def _end(tasks: list[asyncio.Future[Any]]) -> bool:
    """Cancel ``tasks`` and wait until each has ended; whether the caller was cancelled meanwhile."""
    for task in tasks:
        task.cancel()
    interrupted = False
    while pending := [task for task in tasks if not task.done()]:
        try:
            await asyncio.wait(pending)
        except asyncio.CancelledError:
            interrupted = True
    for task in tasks:  # retrieved here: the first of them is on its way up already
        if not task.cancelled():
            task.exception()
    return interrupted
