"""With Redis: a relay publishes due outbox rows to Redis Streams; workers read them in a
consumer group.

- One stream per topic, ``<namespace>:<topic>``; the namespace hashes the
  database (``stream_namespace``), so instances sharing a database share the
  streams, and nothing else does. Group ``hub-workers``, created at id 0.
- The relay (in every worker process) takes due rows not yet published, or
  published more than ``republish_seconds`` ago and still not done, XADDs
  them and sets ``published_at`` in one transaction (PostgreSQL: SKIP LOCKED,
  so two relays never publish the same row; a failed XADD marks nothing).
- A worker reads with XREADGROUP BLOCK, counts the attempt on the row (an
  entry whose row is gone or rescheduled is stale: acknowledged, not run),
  records the outcome in the database, then XACKs and XDELs the entry. The
  row is deleted only when its handler succeeded or it was dead-lettered; a
  failure reschedules the row and the relay publishes it again when due.
- Entries idle longer than the lease in a dead worker's pending list are taken
  over with XAUTOCLAIM; live workers refresh theirs (XCLAIM JUSTID).
- Redis restarted and lost the streams: the rows are still in the outbox,
  published but not done; the relay publishes them again after
  ``republish_seconds`` and the group is created again on NOGROUP.
- Redis down: the relay keeps the rows and retries; workers retry and
  reconnect (the client's pool does).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import secrets
import socket
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable

from redis.exceptions import ResponseError
from sqlalchemy.engine import URL, make_url

from shared.messaging.config import WorkerConfig
from shared.messaging.metrics import MessagingMetrics
from shared.messaging.outbox import Message, utcnow
from shared.messaging.outcomes import Failure
from shared.messaging.store import Delivery, OutboxStore, message_of
from shared.messaging.transport import wait_for_event

log = logging.getLogger("commerce_hub.messaging")
GROUP = "hub-workers"


def stream_namespace(database_url: str | URL) -> str:
    """``hub:stream:<sha1 of the database's identity>[:10]``: host, port and database name (or
    the SQLite file's absolute path), without user or password, which may differ per instance."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        identity = f"sqlite:{Path(url.database or ':memory:').resolve()}"
    else:
        identity = f"{url.get_backend_name()}://{url.host}:{url.port or 5432}/{url.database}"
    return "hub:stream:" + hashlib.sha1(identity.encode()).hexdigest()[:10]


class RedisTransport:
    def __init__(self, store: OutboxStore, redis: Any, config: WorkerConfig, *, namespace: str,
                 clock: Callable[[], datetime] = utcnow, metrics: MessagingMetrics | None = None,
                 consumer: str | None = None) -> None:
        self._store, self._redis, self._config, self._clock = store, redis, config, clock
        self._namespace = namespace
        self._metrics = metrics or MessagingMetrics()
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
        self._streams: dict[str, str] = {}
        self._relay_wake = asyncio.Event()
        self._relay_task: asyncio.Task | None = None
        self._next_autoclaim = 0.0

    def stream(self, topic: str) -> str:
        return f"{self._namespace}:{topic}"

    async def open(self, topics: frozenset[str]) -> None:
        self._streams = {self.stream(t): t for t in sorted(topics)}
        try:
            await self._ensure_groups()
        except Exception as exc:  # Redis down at start: fetch creates the groups when it is back
            log.warning("messaging: Redis unavailable at start (%s); will retry", type(exc).__name__)
        self._relay_task = asyncio.create_task(self._relay_loop(), name="outbox-relay")

    async def close(self) -> None:
        if self._relay_task:
            self._relay_task.cancel()
            await asyncio.gather(self._relay_task, return_exceptions=True)
            self._relay_task = None
        try:  # leave no empty consumer behind; one with pending entries stays for XAUTOCLAIM
            for stream in self._streams:
                if not await self._redis.xpending_range(stream, GROUP, "-", "+", 1, consumername=self.consumer):
                    await self._redis.xgroup_delconsumer(stream, GROUP, self.consumer)
        except Exception:  # best effort: an idle consumer record is harmless
            pass

    def wake(self) -> None:
        self._relay_wake.set()

    # -- the relay -----------------------------------------------------------------------

    async def publish_due(self) -> int:
        """Publish one batch of due rows; how many were published."""
        now = self._clock()
        republish_before = now - timedelta(seconds=self._config.republish_seconds)
        count = await self._store.relay(now, republish_before, self._config.batch_size, self._xadd)
        if count:
            self._metrics.relayed.inc(amount=count)
        return count

    async def _xadd(self, messages: list[Message]) -> None:
        """An entry carries the row's id and key only: a reader takes the message from the row
        (``OutboxStore.begin``), so the payload on the stream would be packed and parsed for nothing."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for m in messages:
                pipe.xadd(self.stream(m.topic), {"id": m.id, "key": m.key})
            await pipe.execute()

    async def _relay_loop(self) -> None:
        pause = 0.1
        while True:
            self._relay_wake.clear()
            try:
                published = await self.publish_due()
                pause = 0.1
            except Exception as exc:  # Redis or the database down: the rows stay, try again
                self._metrics.transport_errors.inc("relay")
                log.warning("messaging: relay failed (%s); retrying in %.1f s", type(exc).__name__, pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 5.0)
                continue
            if published < self._config.batch_size:
                await wait_for_event(self._relay_wake, self._config.poll_seconds)

    # -- the consumer --------------------------------------------------------------------

    async def fetch(self, limit: int) -> list[Delivery]:
        if not self._streams:  # no handlers: nothing to read (the relay still publishes)
            await asyncio.sleep(self._config.poll_seconds)
            return []
        entries: list[tuple[str, bytes, dict]] = []
        if time.monotonic() >= self._next_autoclaim:
            self._next_autoclaim = time.monotonic() + self._config.lease_seconds / 2
            for stream in self._streams:
                entries += await self._autoclaim(stream, limit)
        if not entries:
            entries = await self._read(limit)
        return await self._begin(entries) if entries else []

    async def _read(self, limit: int) -> list[tuple[str, bytes, dict]]:
        block = int(min(self._config.poll_seconds, 1.0) * 1000)  # below the client's socket timeout
        try:
            reply = await self._redis.xreadgroup(GROUP, self.consumer, {s: ">" for s in self._streams},
                                                 count=min(limit, self._config.batch_size), block=block)
        except ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            log.warning("messaging: consumer group missing (Redis lost its data?); creating it again")
            await self._ensure_groups()
            return []
        items = reply.items() if isinstance(reply, dict) else (reply or [])  # RESP3 answers a dict
        return [(_text(stream), entry_id, fields) for stream, batch in items for entry_id, fields in batch if fields]

    async def _autoclaim(self, stream: str, limit: int) -> list[tuple[str, bytes, dict]]:
        try:
            reply = await self._redis.xautoclaim(stream, GROUP, self.consumer, int(self._config.lease_seconds * 1000),
                                                 "0-0", count=min(limit, self._config.batch_size))
        except ResponseError as exc:
            if "NOGROUP" in str(exc):
                return []
            raise
        return [(stream, entry_id, fields) for entry_id, fields in reply[1] if fields]

    async def _begin(self, entries: list[tuple[str, bytes, dict]]) -> list[Delivery]:
        ids = {_message_id(fields) for _, _, fields in entries}
        rows = await self._store.begin(ids, self._clock())
        deliveries, stale = [], []
        for stream, entry_id, fields in entries:
            row = rows.get(_message_id(fields))
            if row is None:
                stale.append((stream, entry_id))
                continue
            deliveries.append(Delivery(message_of(row), handle=(stream, entry_id)))
        if stale:
            await self._ack(stale)
        return deliveries

    async def settle(self, done: list[Delivery], failed: list[tuple[Delivery, Failure]]) -> None:
        await self._store.settle(done, failed, self._clock())
        await self._ack([d.handle for d in done] + [d.handle for d, _ in failed])

    async def _ack(self, handles: list[tuple[str, bytes]]) -> None:
        by_stream: dict[str, list[bytes]] = {}
        for stream, entry_id in handles:
            by_stream.setdefault(stream, []).append(entry_id)
        async with self._redis.pipeline(transaction=False) as pipe:
            for stream, ids in by_stream.items():
                pipe.xack(stream, GROUP, *ids)
                pipe.xdel(stream, *ids)  # the stream holds only what is not yet done
            await pipe.execute()

    async def renew(self, deliveries: list[Delivery]) -> None:
        by_stream: dict[str, list[bytes]] = {}
        for d in deliveries:
            by_stream.setdefault(d.handle[0], []).append(d.handle[1])
        for stream, ids in by_stream.items():
            await self._redis.xclaim(stream, GROUP, self.consumer, 0, ids, justid=True)

    async def idle(self) -> bool:
        now = self._clock()
        if await self._store.has_publishable(now, now - timedelta(seconds=self._config.republish_seconds)):
            return False
        async with self._redis.pipeline(transaction=False) as pipe:
            for stream in self._streams:
                pipe.xlen(stream)
            lengths = await pipe.execute()
        return not any(lengths)  # acknowledged entries are deleted: what remains is not done

    async def _ensure_groups(self) -> None:
        for stream in self._streams:
            try:
                await self._redis.xgroup_create(stream, GROUP, id="0", mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise


def _message_id(fields: dict) -> int:
    return int(_text(fields.get(b"id") or fields.get("id") or b"0"))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
