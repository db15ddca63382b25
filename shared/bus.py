"""Notifications between components and instances: publish a Struct on a topic,
every subscriber of that topic on every instance hears it.

This is the broadcast bus for things like "SKU-1001 changed, drop cached
answers": cheap and immediate, not durable (a listener that is down misses
it; what must not be missed goes through the outbox, a later issue).
`LocalBus` serves one process; `RedisBus` publishes through Redis pub/sub so
all instances sharing the Redis hear it, including the publisher itself.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections import defaultdict
from typing import Awaitable, Callable, Iterable, Protocol

import msgspec

log = logging.getLogger("commerce_hub.bus")
Handler = Callable[[bytes], Awaitable[None]]


class CatalogChanged(msgspec.Struct, frozen=True):
    """Price or stock of a SKU changed in a backend (or an operator purged it)."""

    sku: str | None
    """None means every SKU, unless ``skus`` names some."""
    reason: str = "changed"
    skus: list[str] = []
    """Many SKUs in one event (a batch of stock reports), with ``sku`` None: exactly these. An
    instance that predates the field reads ``sku`` None and drops every SKU: more than needed,
    never a stale answer."""

    def named(self) -> list[str] | None:
        """The SKUs this event is about; None for every SKU."""
        if self.skus:
            return list(self.skus)
        return None if self.sku is None else [self.sku]


class Bus(Protocol):
    async def publish(self, topic: str, event: msgspec.Struct) -> None: ...

    def subscribe(self, topic: str, handler: Handler) -> None: ...


class LocalBus:
    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)

    def subscribe(self, topic: str, handler: Handler) -> None:
        self._handlers[topic].append(handler)

    async def publish(self, topic: str, event: msgspec.Struct) -> None:
        await self.deliver(topic, msgspec.json.encode(event))

    async def deliver(self, topic: str, payload: bytes) -> None:
        for handler in list(self._handlers.get(topic, ())):
            try:
                await handler(payload)
            except Exception:  # one failing listener never stops the others
                log.exception("bus handler for %s failed", topic)


class RedisBus(LocalBus):
    """Redis pub/sub under `hub:bus:<topic>`; a listener task re-subscribes after a drop."""

    PREFIX = "hub:bus:"

    def __init__(self, redis) -> None:  # noqa: ANN001 - redis.asyncio.Redis
        super().__init__()
        self._redis = redis
        self._task: asyncio.Task | None = None
        self.connected = asyncio.Event()

    async def publish(self, topic: str, event: msgspec.Struct) -> None:
        payload = msgspec.json.encode(event)
        try:
            await self._redis.publish(self.PREFIX + topic, payload)
        except Exception:  # Redis down: this instance still hears it
            log.warning("bus: Redis publish failed; delivering %s locally only", topic)
            await self.deliver(topic, payload)

    def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="redis-bus")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _listen(self) -> None:
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.psubscribe(self.PREFIX + "*")
                self.connected.set()
                async for message in pubsub.listen():
                    if message.get("type") == "pmessage":
                        topic = message["channel"].decode().removeprefix(self.PREFIX)
                        await self.deliver(topic, message["data"])
            except asyncio.CancelledError:
                raise
            except Exception:
                self.connected.clear()
                log.warning("bus: Redis subscription lost; retrying in 1 s")
                await asyncio.sleep(1)
            finally:
                await pubsub.aclose()


class ChangeNotices:
    """Tells the catalogue topic that some SKUs' stock changed where no event comes from a backend
    (an order's hold taken or given back): ``add`` never waits and never fails its caller. A message
    goes ``linger`` seconds after the first SKU added since the last one, naming every SKU added
    meanwhile, so a stream of orders costs a message per ``linger`` (each heard by every gateway
    and process), not one per order; the contract's 2 s leave room for it."""

    def __init__(self, bus: Bus, topic: str, reason: str, linger: float = 0.0) -> None:
        self._bus, self._topic, self._reason, self._linger = bus, topic, reason, linger
        self._pending: set[str] = set()
        self._task: asyncio.Task | None = None

    def add(self, skus: Iterable[str]) -> None:
        self._pending.update(skus)
        if self._pending and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(self._run(), context=contextvars.Context())

    async def _run(self) -> None:
        while self._pending:
            if self._linger > 0:
                await asyncio.sleep(self._linger)  # the batching window, not a wait for state
            skus, self._pending = sorted(self._pending), set()
            try:
                await self._bus.publish(self._topic, CatalogChanged(sku=None, skus=skus, reason=self._reason))
            except Exception:  # noqa: BLE001 - the cache TTL still bounds what it leaves
                log.warning("bus: %s not published for %d SKUs", self._reason, len(skus), exc_info=True)

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
