"""Pause a backend's asynchronous work during its maintenance, and resume it.

A pause is a row in ``backend_pauses``, so it holds in every process and survives restarts.
Workers reach backends through ports wrapped by ``pausable``: while the backend is paused, a
call raises ``BackendPaused`` before anything is sent, and the worker defers the message by
HUB_OPS_PAUSE_RECHECK_SECONDS without spending its retry budget (the budget's clock restarts,
see ``shared.messaging.outcomes``). Synchronous calls (the APIs' own ports) are not wrapped,
so they are unaffected. Each process caches the pauses for at most ``refresh`` seconds, and a
change announced on the bus drops every instance's cache at once. A resume also makes the
deferred messages due now.
"""

from __future__ import annotations

import inspect
import time
from datetime import datetime
from typing import Any, Awaitable, Callable

import msgspec
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.bus import Bus
from shared.db.dialect import insert
from shared.db.tables import backend_pauses, outbox
from shared.errors import CircuitOpen
from shared.messaging.outbox import as_utc, utcnow
from shared.singleflight import SingleFlight

PAUSES_TOPIC = "ops.pauses.changed"
PAUSED_CODE = "backend_paused"


class PausesChanged(msgspec.Struct, frozen=True):
    backend: str


class BackendPaused(CircuitOpen):
    """The backend's asynchronous work is paused by an operator: defer, do not count an attempt."""

    code, title = PAUSED_CODE, "A back-office system is paused for maintenance"
    defers = True
    """``shared.messaging.outcomes``: defer by ``retry_after`` with the retry budget's clock restarted."""


class PauseBook:
    def __init__(self, engine: AsyncEngine, bus: Bus, *, refresh: float = 1.0, recheck: float = 5.0,
                 clock: Callable[[], datetime] = utcnow, wake: Callable[[], None] = lambda: None) -> None:
        self._engine, self._bus, self._refresh, self._recheck = engine, bus, refresh, recheck
        self._clock, self._wake = clock, wake
        self._cache: dict[str, datetime] = {}
        self._read_at = float("-inf")
        self._changes = 0
        self._reads: SingleFlight[dict[str, datetime]] = SingleFlight()
        bus.subscribe(PAUSES_TOPIC, self._on_change)

    async def _on_change(self, _payload: bytes) -> None:
        self._changed()

    def _changed(self) -> None:
        self._changes += 1
        self._read_at = float("-inf")

    async def current(self) -> dict[str, datetime]:
        """Paused backends and since when (cached for at most ``refresh`` seconds). Callers that
        find the cache lapsed together share one read; a read that a change overtook is answered
        but not kept, and callers after the change read again."""
        if time.monotonic() - self._read_at >= self._refresh:
            found, _ = await self._reads.run(self._changes, self._read)
            return found
        return self._cache

    async def _read(self) -> dict[str, datetime]:
        """The pauses now; kept as the cache only if no change overtook the read."""
        changes = self._changes
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(backend_pauses.c.backend, backend_pauses.c.paused_at))).all()
        found = {row.backend: as_utc(row.paused_at) for row in rows}
        if changes == self._changes:
            self._cache, self._read_at = found, time.monotonic()
        return found

    async def check(self, backend: str) -> None:
        """Raise ``BackendPaused`` when ``backend`` is paused."""
        if backend in await self.current():
            raise BackendPaused(f"{backend.upper()} is paused by an operator", backend=backend,
                                retry_after=self._recheck)

    async def pause(self, backend: str, by: str) -> datetime:
        """Pause (idempotent: a second pause keeps the first one's time); since when."""
        async with self._engine.begin() as conn:
            await conn.execute(insert(conn, backend_pauses).values(backend=backend, paused_at=self._clock(), paused_by=by)
                               .on_conflict_do_nothing(index_elements=["backend"]))
            since = (await conn.execute(select(backend_pauses.c.paused_at)
                                        .where(backend_pauses.c.backend == backend))).scalar_one()
        await self._announce(backend)
        return as_utc(since)

    async def resume(self, backend: str) -> None:
        """Resume (idempotent) and make the messages deferred by a pause due now."""
        now = self._clock()
        async with self._engine.begin() as conn:
            await conn.execute(delete(backend_pauses).where(backend_pauses.c.backend == backend))
            await conn.execute(update(outbox).where(
                outbox.c.last_error.like(f"{PAUSED_CODE}:%"), outbox.c.available_at > now,
            ).values(available_at=now))
        await self._announce(backend)
        self._wake()

    async def _announce(self, backend: str) -> None:
        self._changed()
        await self._bus.publish(PAUSES_TOPIC, PausesChanged(backend=backend))


class _Pausable:
    """A port whose async methods first check that its backend is not paused."""

    def __init__(self, port: Any, backend: str, book: PauseBook) -> None:
        self._port, self._backend, self._book = port, backend, book

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._port, name)
        if not inspect.iscoroutinefunction(attr):
            return attr
        return _checked(attr, self._backend, self._book)


def _checked(method: Callable[..., Awaitable[Any]], backend: str, book: PauseBook) -> Callable[..., Awaitable[Any]]:
    async def call(*args: Any, **kwargs: Any) -> Any:
        await book.check(backend)
        return await method(*args, **kwargs)

    return call


def pausable(port: Any, backend: str, book: PauseBook | None) -> Any:
    """``port`` for a worker: its calls wait while ``backend`` is paused (None stays None)."""
    return port if port is None or book is None else _Pausable(port, backend, book)
