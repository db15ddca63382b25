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

A statement cancelled mid-flight (a request that ended first) has its connection stopped, and the
worker finishes that statement before it ends, then hands its answer to the loop. ``Workers``
notes one engine's worker threads so its disposal can wait for them while the loop still runs;
otherwise a worker finishing after the loop closed dies on ``Event loop is closed``.
"""

from __future__ import annotations

import sqlite3
import threading
import time
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


class Workers:
    """The worker threads of one engine's connections (its ``async_creator_fn``)."""

    def __init__(self) -> None:
        self._threads: list[threading.Thread] = []

    def connect(self, database: str | Path, **kwargs: Any) -> ClosingOnce:
        connection = connect(database, **kwargs)
        self._threads = [t for t in self._threads if t.ident is None or t.is_alive()]  # not started, or running
        self._threads.append(connection._thread)
        return connection

    def join(self, timeout: float) -> None:
        """Wait, at most ``timeout`` seconds in all, for the workers to end (blocking: run it
        in a thread, so the loop stays free to take their last answers)."""
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            if thread.is_alive():
                thread.join(max(0.0, deadline - time.monotonic()))
