"""A per-backend circuit breaker: stop calling a backend that keeps failing."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Literal

from shared.errors import CircuitOpen

CircuitState = Literal["closed", "open", "half_open"]

log = logging.getLogger("commerce_hub.resilience")

PROBE_RETRY_AFTER = 1.0
"""What a caller refused while the one half-open probe is out is told to wait (seconds)."""


class Ticket:
    """What ``allow`` hands a call it lets through; give it back to one ``record_*``/``release``.

    ``probe``: this call is the half-open trial. ``generation``: the circuit's
    state when it was let through; an outcome from an older generation (a call
    let through before the circuit opened, ending after) does not move the
    circuit, so a late answer can neither close a circuit nor free a probe
    slot it never held."""

    __slots__ = ("probe", "generation")

    def __init__(self, probe: bool, generation: int) -> None:
        self.probe = probe
        self.generation = generation


class CircuitBreaker:
    """Consecutive-failure circuit breaker.

    ``closed``: calls pass; ``failure_threshold`` failures in a row open it.
    ``open``: every call fails fast with ``CircuitOpen`` (``retry_after`` set
    to the time left) for ``reset_timeout`` seconds, then it turns ``half_open``.
    ``half_open``: exactly one trial call (the probe) at a time passes; the
    probe that succeeds closes the circuit at once, one that fails opens it
    again for ``reset_timeout``. ``reset()`` closes it at once (an operator or
    the sandbox knows the backend is back).

    We count consecutive failures rather than a rate over a window: it needs
    no window tuning at low traffic, reacts the same at any volume, and the
    rolling error rate is already in ``BackendStats`` for operators.

    The caller reports outcomes with the ``Ticket`` from ``allow``:
    ``record_failure`` only for ``BackendUnavailable`` (5xx, timeouts,
    network, throttling); ``record_success`` for any answer, a 404 or another
    4xx included (the backend is up); ``release`` when a call ended with no
    verdict (cancelled, throttled). Opening and closing are logged (WARNING
    and INFO, with the backend's name).
    """

    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 5,
        reset_timeout: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self._threshold = failure_threshold
        self._reset_timeout = reset_timeout
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False
        self._generation = 0
        self._closed_at = self._tripped_at = clock()

    def state_age(self) -> float:
        """Seconds since the circuit last closed, or, when not closed, since it first opened after
        that (failed probes, which re-open it, do not restart the count)."""
        return max(self._clock() - (self._closed_at if self._opened_at is None else self._tripped_at), 0.0)

    @property
    def state(self) -> CircuitState:
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at < self._reset_timeout:
            return "open"
        return "half_open"

    def retry_after(self) -> float | None:
        """Seconds until a call may pass again: None when closed, 0 when a probe may go now."""
        if self._opened_at is None:
            return None
        if self._probing:
            return PROBE_RETRY_AFTER
        return max(self._opened_at + self._reset_timeout - self._clock(), 0.0)

    def allow(self) -> Ticket:
        """Let a call through (its ``Ticket``) or raise ``CircuitOpen`` with ``retry_after``."""
        state = self.state
        if state == "closed":
            return Ticket(False, self._generation)
        if state == "half_open" and not self._probing:
            self._probing = True
            return Ticket(True, self._generation)
        raise CircuitOpen(
            f"{self.name.upper()} calls are paused after repeated failures",
            backend=self.name,
            retry_after=self.retry_after(),
        )

    def record_success(self, ticket: Ticket | None = None) -> None:
        if not self._current(ticket):
            return
        self._failures = 0
        if self._opened_at is not None:
            self._close("a probe succeeded")

    def record_failure(self, ticket: Ticket | None = None) -> None:
        if not self._current(ticket):
            return
        self._failures += 1
        if self._opened_at is not None:
            self._open(f"a probe failed; next probe in {self._reset_timeout:g} s")
        elif self._failures >= self._threshold:
            self._open(f"{self._failures} failures in a row; first probe in {self._reset_timeout:g} s")

    def release(self, ticket: Ticket | None = None) -> None:
        """A call let through ended without a verdict: free its probe slot if it held it."""
        self._current(ticket)

    def reset(self, why: str = "reset") -> None:
        """Close the circuit now, whatever its state (the backend is known to be back)."""
        self._failures = 0
        if self._opened_at is not None:
            self._close(why)

    def _current(self, ticket: Ticket | None) -> bool:
        """Free the probe slot the ticket holds; whether its outcome may move the circuit."""
        if ticket is None:  # a caller without tickets: the outcome is the current one's
            self._probing = False
            return True
        if ticket.generation != self._generation:
            return False
        if ticket.probe:
            self._probing = False
        return True

    def _open(self, why: str) -> None:
        if self._opened_at is None:
            self._tripped_at = self._clock()
        self._opened_at = self._clock()
        self._probing = False
        self._generation += 1
        log.warning("circuit %s opened: %s", self.name, why)

    def _close(self, why: str) -> None:
        self._opened_at = None
        self._closed_at = self._clock()
        self._probing = False
        self._failures = 0
        self._generation += 1
        log.info("circuit %s closed: %s", self.name, why)
