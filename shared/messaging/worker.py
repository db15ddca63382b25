"""The worker: runs the handlers of the messages its transport delivers, one per process.

Three loops: *fetch* takes up to ``concurrency`` deliveries from the transport
and starts them, one chain per key (two messages with the same key never run
at once here; the second waits behind the first, in delivery order); *settle*
records outcomes in batches (done rows deleted, failures rescheduled or
dead-lettered, see ``outcomes``) and only then acknowledges them; *renew*
keeps the leases of what is still in flight. A database or Redis failure in
any loop is logged and retried with a capped backoff: nothing is lost, at
worst a message runs again (delivery is at least once).

``stop()`` lets running handlers finish for a grace period, then cancels them
without recording an outcome: their messages go to another worker when the
lease runs out, as if this process had been killed.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from datetime import datetime
from typing import Callable

from shared.errors import HubError
from shared.messaging.config import WorkerConfig
from shared.messaging.metrics import MessagingMetrics
from shared.messaging.outbox import Handler, utcnow
from shared.messaging.outcomes import Failure, decide
from shared.messaging.store import Delivery
from shared.messaging.transport import Transport
from shared.telemetry import consumer_span

log = logging.getLogger("commerce_hub.messaging")
_STOP = object()


class Worker:
    def __init__(
        self,
        transport: Transport,
        handlers: dict[str, Handler],
        *,
        config: WorkerConfig | None = None,
        metrics: MessagingMetrics | None = None,
        clock: Callable[[], datetime] = utcnow,
        rng: Callable[[], float] = random.random,
        name: str = "worker",
    ) -> None:
        self._transport, self._handlers = transport, dict(handlers)
        self._config = config or WorkerConfig()
        self._metrics = metrics or MessagingMetrics()
        self._clock, self._rng, self._name = clock, rng, name
        self._inflight: set[Delivery] = set()
        self._chains: dict[str, deque[Delivery]] = {}
        self._runners: set[asyncio.Task] = set()
        self._outcomes: asyncio.Queue = asyncio.Queue()
        self._room = asyncio.Event()
        self._loops: list[asyncio.Task] = []
        self._stopping = False

    @property
    def in_flight(self) -> int:
        return len(self._inflight)

    @property
    def transport(self) -> Transport:
        return self._transport

    async def start(self) -> None:
        self._stopping = False
        await self._transport.open(frozenset(self._handlers))
        self._loops = [asyncio.create_task(loop(), name=f"{self._name}-{loop.__name__.strip('_')}")
                       for loop in (self._fetch_loop, self._settle_loop, self._renew_loop)]

    def wake(self) -> None:
        """Look for due messages now (call after committing an ``enqueue``)."""
        self._transport.wake()

    async def drain(self, timeout: float = 10.0) -> None:
        """Return once no due message is waiting to be taken and nothing is in flight here;
        ``TimeoutError`` after ``timeout`` seconds. For tests and orderly shutdowns."""
        started = time.monotonic()
        woken = started
        self.wake()
        while True:
            if not self._inflight and await self._transport.idle() and not self._inflight:
                return
            now = time.monotonic()
            if now - started >= timeout:
                raise TimeoutError(f"{self._name}: not drained in {timeout} s ({len(self._inflight)} in flight)")
            if now - woken >= 0.1:  # now and then, not on every check: a wake-up costs a claim
                woken = now
                self.wake()
            await asyncio.sleep(0.005)  # polling interval, bounded by the deadline

    async def stop(self, grace: float = 5.0) -> None:
        if not self._loops:
            return
        fetch, settle, renew = self._loops
        self._loops = []
        # Ask the fetch loop to end at its next turn rather than cancel it mid-statement: a
        # cancellation inside an aiosqlite transaction can hang the connection's close and
        # leave its write lock held. Cancel only if it does not end within the grace period
        # (again and again: the driver can swallow a cancellation).
        self._stopping = True
        self._room.set()
        self._transport.wake()
        await asyncio.wait({fetch}, timeout=grace)
        while not fetch.done():
            fetch.cancel()
            await asyncio.wait({fetch}, timeout=1.0)
        if self._runners:
            await asyncio.wait(set(self._runners), timeout=grace)
        for task in list(self._runners):  # still running: abandoned, their leases run out
            task.cancel()
        await asyncio.gather(*self._runners, return_exceptions=True)
        self._outcomes.put_nowait(_STOP)
        try:
            async with asyncio.timeout(max(grace, 1.0)):
                await settle
        except (TimeoutError, asyncio.CancelledError):
            pass
        renew.cancel()
        await asyncio.gather(renew, return_exceptions=True)
        self._inflight.clear()
        self._chains.clear()
        await self._transport.close()

    # -- fetching and running ------------------------------------------------------------

    async def _fetch_loop(self) -> None:
        pause = _Backoff()
        while not self._stopping:
            free = self._config.concurrency - len(self._inflight)
            if free <= 0:
                self._room.clear()
                await self._room.wait()
                continue
            try:
                batch = await self._transport.fetch(free)
            except Exception as exc:  # database or Redis unreachable: try again, nothing is lost
                self._metrics.transport_errors.inc("fetch")
                log.warning("%s: fetching messages failed (%s); retrying", self._name, type(exc).__name__)
                await pause.sleep()
                continue
            pause.reset()
            for delivery in batch:  # no await in this loop: drain() never sees a fetched, unlisted delivery
                self._dispatch(delivery)

    def _dispatch(self, delivery: Delivery) -> None:
        self._inflight.add(delivery)
        key = delivery.message.key
        waiting = self._chains.get(key)
        if waiting is not None:
            waiting.append(delivery)
            return
        self._chains[key] = deque()
        task = asyncio.create_task(self._run_chain(key, delivery))
        self._runners.add(task)
        task.add_done_callback(self._runners.discard)

    async def _run_chain(self, key: str, delivery: Delivery | None) -> None:
        try:
            while delivery is not None:
                await self._run(delivery)
                waiting = self._chains[key]
                delivery = waiting.popleft() if waiting else None
        finally:
            self._chains.pop(key, None)

    async def _run(self, delivery: Delivery) -> None:
        message = delivery.message
        started = time.perf_counter()
        failure: Failure | None = None
        try:
            handler = self._handlers.get(message.topic)
            if handler is None:
                raise HubError(f"No handler for topic {message.topic!r}.", code="no_handler")
            async with asyncio.timeout(self._config.handler_timeout_seconds):
                with consumer_span(message.topic, message.traceparent, **{"messaging.message.id": message.id}):
                    await handler(message)  # a span of the trace that queued the message
        except Exception as exc:  # every failure becomes a retry or a dead letter, never a lost message
            failure = decide(exc, attempts=message.attempts, first_attempt_at=message.first_attempt_at or self._clock(),
                             now=self._clock(), config=self._config, rng=self._rng)
            self._log_failure(delivery, exc, failure)
        delivery.latency_ms = (time.perf_counter() - started) * 1000
        self._metrics.handler_seconds.observe(delivery.latency_ms / 1000, message.topic)
        self._outcomes.put_nowait((delivery, failure))

    def _log_failure(self, delivery: Delivery, exc: Exception, failure: Failure) -> None:
        m = delivery.message
        fate = "dead-lettered" if failure.dead else f"retry at {failure.retry_at:%H:%M:%S.%f}"
        if isinstance(exc, HubError):
            log.warning("%s: %s message %s (key %s, attempt %d) failed: %s; %s",
                        self._name, m.topic, m.id, m.key, m.attempts, failure.reason, fate)
        else:  # a bug: the traceback goes to the log (never to the dead letter)
            log.error("%s: %s message %s (key %s, attempt %d) raised unexpectedly; %s",
                      self._name, m.topic, m.id, m.key, m.attempts, fate, exc_info=exc)

    # -- settling and renewing -----------------------------------------------------------

    async def _settle_loop(self) -> None:
        while True:
            item = await self._outcomes.get()
            if item is _STOP:
                return
            batch = [item]
            while len(batch) < 500 and not self._outcomes.empty():
                nxt = self._outcomes.get_nowait()
                if nxt is _STOP:
                    self._outcomes.put_nowait(_STOP)
                    break
                batch.append(nxt)
            await self._settle(batch)

    async def _settle(self, batch: list[tuple[Delivery, Failure | None]]) -> None:
        done = [d for d, f in batch if f is None]
        failed = [(d, f) for d, f in batch if f is not None]
        pause, give_up = _Backoff(), time.monotonic() + self._config.lease_seconds
        while True:
            try:
                await self._transport.settle(done, failed)
                break
            except Exception as exc:  # keep trying while our leases hold; then they run again elsewhere
                self._metrics.transport_errors.inc("settle")
                if time.monotonic() >= give_up:
                    log.error("%s: could not record %d outcomes (%s); they will be delivered again",
                              self._name, len(batch), type(exc).__name__)
                    break
                log.warning("%s: recording outcomes failed (%s); retrying", self._name, type(exc).__name__)
                await pause.sleep()
        for delivery, failure in batch:
            self._inflight.discard(delivery)
            outcome = "done" if failure is None else "dead" if failure.dead else "retried"
            self._metrics.messages.inc(delivery.message.topic, outcome)
        self._room.set()

    async def _renew_loop(self) -> None:
        while True:
            await asyncio.sleep(self._config.lease_seconds / 3)
            if not self._inflight:
                continue
            try:
                await self._transport.renew(list(self._inflight))
            except Exception as exc:  # the next tick tries again; a lease may run out meanwhile
                self._metrics.transport_errors.inc("renew")
                log.warning("%s: renewing leases failed (%s)", self._name, type(exc).__name__)


class _Backoff:
    """Capped exponential pauses for a loop whose database or Redis is failing."""

    def __init__(self, first: float = 0.1, cap: float = 5.0) -> None:
        self._first, self._cap, self._next = first, cap, first

    def reset(self) -> None:
        self._next = self._first

    async def sleep(self) -> None:
        await asyncio.sleep(self._next * (0.5 + random.random() / 2))
        self._next = min(self._next * 2, self._cap)
