"""Retry timing: full-jitter exponential backoff that honours ``Retry-After``."""

from __future__ import annotations

import random
from collections.abc import Callable

import msgspec


class RetryPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """How often and how far apart a failed backend call is tried again.

    The defaults suit back-office calls: three attempts cap the extra load a
    sick backend sees at 3x (the circuit breaker cuts it further), 100 ms
    doubling to at most 2 s spreads a burst of callers, and a 10 s budget
    leaves room to wait out a typical ``Retry-After: 1``. A customer-facing
    path passes its own, much shorter, deadline to ``Guard.call``.
    """

    max_attempts: int = 3
    """Attempts in all, the first included; 1 means no retry."""
    base_delay: float = 0.1
    """Backoff ceiling, in seconds, before the second attempt."""
    max_delay: float = 2.0
    """The backoff ceiling never grows past this (``Retry-After`` may)."""
    multiplier: float = 2.0
    """Growth of the ceiling per attempt."""
    budget: float = 10.0
    """Seconds a call may take in all, retries and waits included, when the caller gives no deadline."""

    def delay(
        self,
        attempt: int,
        retry_after: float | None = None,
        *,
        rng: Callable[[], float] = random.random,
    ) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based).

        Full jitter: uniform in ``[0, min(max_delay, base_delay * multiplier ** (attempt - 1))]``,
        so callers that failed together do not return together. Never less
        than the backend's ``retry_after``: we do not retry sooner than it says.
        """
        ceiling = min(self.max_delay, self.base_delay * self.multiplier ** max(attempt - 1, 0))
        jittered = ceiling * rng()
        return max(jittered, retry_after or 0.0)
