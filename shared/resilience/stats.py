"""Rolling per-backend call statistics for operators."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime

import msgspec


class BackendHealth(msgspec.Struct, frozen=True, kw_only=True):
    """One backend's health over the stats window, as the admin API shows it."""

    name: str
    circuit_state: str
    error_rate: float
    p95_latency_ms: float | None
    throttled: int
    calls: int
    rejected: int = 0
    """Calls refused before reaching the backend (circuit open, bulkhead full)."""
    errors: int = 0
    p50_latency_ms: float | None = None
    last_error_code: str | None = None
    """The code of the last failed call (``backend_unavailable``, ``backend_throttled``, ...); never a body."""
    last_error_at: datetime | None = None


class _Bucket:
    __slots__ = ("start", "calls", "errors", "throttled", "rejected")

    def __init__(self, start: float) -> None:
        self.start = start
        self.calls = self.errors = self.throttled = self.rejected = 0


class BackendStats:
    """Counts in time buckets of ``bucket_seconds`` over the last ``window`` seconds.

    Latencies live in a ring buffer of the last ``latency_samples`` calls, so
    p95 is exact up to that many calls in the window and stays bounded in
    memory above it. ``calls`` counts attempts that reached the backend;
    ``error_rate`` is errors over those calls.
    """

    def __init__(
        self,
        name: str,
        *,
        window: float = 300.0,
        bucket_seconds: float = 10.0,
        latency_samples: int = 2048,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self._window = window
        self._bucket_seconds = bucket_seconds
        self._clock = clock
        self._buckets: deque[_Bucket] = deque()
        self._latencies: deque[tuple[float, float]] = deque(maxlen=latency_samples)
        self._last_error: tuple[str, datetime] | None = None

    def record(self, latency: float, *, error: bool = False, throttled: bool = False, code: str | None = None) -> None:
        """One call that reached the backend, ``latency`` in seconds; ``code`` names a failure."""
        if error or throttled:
            self._last_error = (code or "backend_error", datetime.now(UTC))
        bucket = self._current()
        bucket.calls += 1
        bucket.errors += error
        bucket.throttled += throttled
        self._latencies.append((self._clock(), latency))

    def record_rejected(self) -> None:
        """One call refused before it reached the backend."""
        self._current().rejected += 1

    def snapshot(self, circuit_state: str = "closed") -> BackendHealth:
        self._expire()
        calls = sum(b.calls for b in self._buckets)
        errors = sum(b.errors for b in self._buckets)
        horizon = self._clock() - self._window
        latencies = sorted(lat for at, lat in self._latencies if at >= horizon)
        return BackendHealth(
            name=self.name,
            circuit_state=circuit_state,
            error_rate=errors / calls if calls else 0.0,
            p95_latency_ms=_p95(latencies) * 1000 if latencies else None,
            throttled=sum(b.throttled for b in self._buckets),
            calls=calls,
            rejected=sum(b.rejected for b in self._buckets),
            errors=errors,
            p50_latency_ms=_rank(latencies, 0.50) * 1000 if latencies else None,
            last_error_code=self._last_error[0] if self._last_error else None,
            last_error_at=self._last_error[1] if self._last_error else None,
        )

    def _current(self) -> _Bucket:
        self._expire()
        now = self._clock()
        start = now - now % self._bucket_seconds
        if not self._buckets or self._buckets[-1].start != start:
            self._buckets.append(_Bucket(start))
        return self._buckets[-1]

    def _expire(self) -> None:
        horizon = self._clock() - self._window
        while self._buckets and self._buckets[0].start + self._bucket_seconds <= horizon:
            self._buckets.popleft()


def _p95(ordered: list[float]) -> float:
    """Nearest-rank 95th percentile of a sorted, non-empty list."""
    return _rank(ordered, 0.95)


def _rank(ordered: list[float], q: float) -> float:
    """Nearest-rank ``q`` quantile of a sorted, non-empty list."""
    return ordered[max(math.ceil(q * len(ordered)) - 1, 0)]
