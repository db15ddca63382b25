"""The aiosqlite connection the SQLite engine opens: aiosqlite's, with a ``close()`` that cannot hang.

aiosqlite (0.22) runs each connection on a worker thread that ends at the first ``stop()`` it
takes from its queue. ``close()`` always queues a ``stop()`` of its own and waits for it. When
SQLAlchemy terminates a connection whose task is being cancelled (a pooled connection invalidated
mid-statement), it starts a graceful ``close()`` and, on the cancellation, a forced ``stop()``
right after. If the forced stop is queued first, the worker ends on it, and the graceful close's
own stop lands behind it in a queue nobody reads any more: that close waits forever, and so does
whatever waits for it (the test loop's teardown hung there for 180 s: the first full run of
2026-12-06 in CI).

``close()`` here queues a stop only while none is queued yet: a connection already stopping is
closed by the worker on that stop.
"""

from __future__ import annotations

import sqlite3
from functools import partial
from pathlib import Path
from typing import Any

import aiosqlite


class ClosingOnce(aiosqlite.Connection):
    async def close(self) -> None:
        if self._connection is None:
            return
        try:
            if self._running:
                await self._execute(self._conn.close)
        finally:
            self._connection = None
            if self._running:  # no stop queued yet (no await since the check: nothing can queue one)
                stopped = self.stop()
                if stopped is not None:
                    await stopped


def connect(database: str | Path, *, iter_chunk_size: int = 64, **kwargs: Any) -> ClosingOnce:
    """``aiosqlite.connect`` with the connection above (SQLAlchemy's ``async_creator_fn``)."""
    connection = ClosingOnce(partial(sqlite3.connect, str(database), **kwargs), iter_chunk_size)
    connection._thread.daemon = True  # as SQLAlchemy sets it for aiosqlite's own: never holds up the exit
    return connection
