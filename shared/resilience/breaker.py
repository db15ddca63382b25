"""A per-backend circuit breaker: stop calling a backend that keeps failing."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

from shared.errors import CircuitOpen

CircuitState = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    """Consecutive-failure circuit breaker.

    ``closed``: calls pass; ``failure_threshold`` failures in a row open it.
    ``open``: every call fails fast with ``CircuitOpen`` (``retry_after`` set
    to the time left) for ``reset_timeout`` seconds, then it turns ``half_open``.
    ``half_open``: at most ``half_open_max_calls`` trial calls at a time pass;
    a trial that succeeds closes it, one that fails opens it again.

    We count consecutive failures rather than a rate over a window: it needs
    no window tuning at low traffic, reacts the same at any volume, and the
    rolling error rate is already in ``BackendStats`` for operators.

    The caller reports outcomes: ``record_failure`` only for
    ``BackendUnavailable`` (5xx, timeouts, network, throttling);
    ``record_success`` for any answer, a 404 or another 4xx included (the
    backend is up); ``release`` when a call ended with no verdict (cancelled).
    """

    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 5,
        reset_timeout: float = 30.0,
        half_open_max_calls: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self._threshold = failure_threshold
        self._reset_timeout = reset_timeout
        self._trial_cap = half_open_max_calls
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trials = 0

    @property
    def state(self) -> CircuitState:
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at < self._reset_timeout:
            return "open"
        return "half_open"

    def allow(self) -> None:
        """Let a call through or raise ``CircuitOpen``; pair with one ``record_*``/``release``."""
        state = self.state
        if state == "closed":
            return
        if state == "half_open" and self._trials < self._trial_cap:
            self._trials += 1
            return
        assert self._opened_at is not None
        remaining = max(self._opened_at + self._reset_timeout - self._clock(), 0.0)
        raise CircuitOpen(
            f"{self.name.upper()} calls are paused after repeated failures",
            backend=self.name,
            retry_after=remaining,
        )

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._trials = 0

    def record_failure(self) -> None:
        self._failures += 1
        if self._opened_at is not None or self._failures >= self._threshold:
            self._opened_at = self._clock()
            self._trials = 0

    def release(self) -> None:
        """A call let through ended without a verdict: free its half-open trial slot."""
        if self._trials:
            self._trials -= 1
