"""The Guard: one per backend, the single way the hub calls it.

Order per attempt: deadline check -> circuit breaker (fail fast) -> bulkhead
slot -> per-attempt timeout -> ``fn``; the outcome feeds breaker and stats.
Between attempts the retry policy decides the wait.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from shared.errors import BackendError, BackendThrottled, BackendUnavailable, CircuitOpen, HubError
from shared.resilience.breaker import CircuitBreaker, Ticket
from shared.resilience.bulkhead import Bulkhead
from shared.resilience.retry import RetryPolicy
from shared.resilience.stats import BackendHealth, BackendStats

T = TypeVar("T")

_ENDS_AT: ContextVar[float | None] = ContextVar("hub_backend_deadline", default=None)


@contextmanager
def deadline_scope(seconds: float, *, clock: Callable[[], float] = time.monotonic) -> Iterator[None]:
    """Every ``Guard.call`` in this block (and its tasks) ends within ``seconds`` from now.

    How a synchronous process API bounds backend calls it makes through a
    port, whose methods take no deadline. Nested scopes only shorten it.
    ``clock`` must be the guards' clock.
    """
    outer = _ENDS_AT.get()
    ends_at = clock() + seconds
    token = _ENDS_AT.set(ends_at if outer is None else min(outer, ends_at))
    try:
        yield
    finally:
        _ENDS_AT.reset(token)


def remaining_deadline(*, clock: Callable[[], float] = time.monotonic) -> float | None:
    """Seconds left in the current ``deadline_scope``, or None outside one.

    The internal RPC sends it along, so a split role keeps the caller's deadline."""
    ends_at = _ENDS_AT.get()
    return None if ends_at is None else max(ends_at - clock(), 0.0)


class Guard:
    """Breaker, bulkhead, stats, retry policy and per-attempt timeout for one backend."""

    def __init__(
        self,
        name: str,
        *,
        policy: RetryPolicy | None = None,
        timeout: float = 2.0,
        breaker: CircuitBreaker | None = None,
        bulkhead: Bulkhead | None = None,
        stats: BackendStats | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.name = name
        self.policy = policy or RetryPolicy()
        self.timeout = timeout
        self.breaker = breaker or CircuitBreaker(name, clock=clock)
        self.bulkhead = bulkhead or Bulkhead(name)
        self.stats = stats or BackendStats(name, clock=clock)
        self._clock = clock
        self._sleep = sleep

    def snapshot(self) -> BackendHealth:
        return self.stats.snapshot(self.breaker.state)

    async def call(
        self,
        operation: str,
        fn: Callable[[], Awaitable[T]],
        *,
        retry: bool = True,
        deadline: float | None = None,
    ) -> T:
        """Run ``fn`` guarded; retry ``BackendUnavailable`` per the policy.

        ``deadline``: seconds the whole call may take, waits and retries
        included (default ``policy.budget``; a ``deadline_scope`` shortens it).
        A wait that would end past the deadline, a ``Retry-After`` included,
        is not taken: the last error is raised. ``CircuitOpen`` and permanent
        errors (``BackendError`` 4xx, ``NotFound``) are never retried. A call that
        tried the backend and then found the circuit open raises its own last
        failure, not ``CircuitOpen``: ``CircuitOpen`` always means the backend was
        not tried by this call, which a worker does not count against a message's
        retry budget.
        ``operation`` names the call in errors and logs.
        """
        ends_at = self._ends_at(deadline)
        attempt = 0
        failed: BackendUnavailable | None = None
        while True:
            attempt += 1
            if self._clock() >= ends_at:
                raise BackendUnavailable(f"{self._label} deadline exceeded ({operation})", backend=self.name)
            try:
                return await self._attempt(fn, ends_at)
            except CircuitOpen as refused:
                if failed is None:
                    raise
                # This call did reach the backend, and its failures opened the circuit (or another
                # caller's did meanwhile): the caller hears its own failure, a real attempt.
                raise failed from refused
            except BackendUnavailable as exc:
                failed = exc
                if not retry or attempt >= self.policy.max_attempts:
                    raise
                wait = self.policy.delay(attempt, exc.retry_after)
                if self._clock() + wait >= ends_at:
                    raise
            await self._sleep(wait)

    async def _attempt(self, fn: Callable[[], Awaitable[T]], ends_at: float) -> T:
        ticket = await self._admit()
        verdict = self.breaker.release  # no verdict unless fn ends in one below
        started = self._clock()
        try:
            result = await self._timed(fn, ends_at)
        except BackendUnavailable as exc:
            # A throttle is the backend asking us to wait (Retry-After), not a failure: it
            # does not open the circuit, which would keep us away long after the throttle.
            throttled = isinstance(exc, BackendThrottled)
            verdict = self.breaker.release if throttled else self.breaker.record_failure
            self.stats.record(self._clock() - started, error=True, throttled=throttled, code=exc.code)
            raise
        except HubError as exc:  # the backend answered: a 404 or another 4xx
            verdict = self.breaker.record_success
            self.stats.record(self._clock() - started, error=isinstance(exc, BackendError), code=exc.code)
            raise
        except Exception:
            self.stats.record(self._clock() - started, error=True, code="internal_error")
            raise
        else:
            verdict = self.breaker.record_success
            self.stats.record(self._clock() - started)
        finally:
            self.bulkhead.release()
            verdict(ticket)
        return result

    async def _admit(self) -> Ticket:
        """Pass the breaker, then take a bulkhead slot; a refusal counts as rejected."""
        try:
            ticket = self.breaker.allow()
        except CircuitOpen:
            self.stats.record_rejected()
            raise
        try:
            await self.bulkhead.acquire()
        except BaseException as exc:
            self.breaker.release(ticket)
            if isinstance(exc, BackendUnavailable):
                self.stats.record_rejected()
            raise
        return ticket

    async def _timed(self, fn: Callable[[], Awaitable[T]], ends_at: float) -> T:
        try:
            async with asyncio.timeout(min(self.timeout, ends_at - self._clock())):
                return await fn()
        except TimeoutError as exc:
            raise BackendUnavailable(f"{self._label} timed out", backend=self.name) from exc

    def _ends_at(self, deadline: float | None) -> float:
        ends_at = self._clock() + (self.policy.budget if deadline is None else deadline)
        scoped = _ENDS_AT.get()
        return ends_at if scoped is None else min(ends_at, scoped)

    @property
    def _label(self) -> str:
        return self.name.upper()
