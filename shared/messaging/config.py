"""The knobs of the asynchronous backbone, one documented field each.

The composition root fills this from settings (``retry_budget_seconds`` is
``HUB_RETRY_BUDGET_SECONDS``); everything else has a default that suits the
back-office flows.
"""

from __future__ import annotations

import msgspec

from shared.resilience.retry import RetryPolicy

DEFAULT_RETRY = RetryPolicy(max_attempts=1_000_000, base_delay=0.5, multiplier=2.0, max_delay=60.0)
"""Full-jitter exponential backoff: up to 0.5 s after the first failure, doubling, at most 60 s
between attempts (a ``retry_after`` may ask for longer). The budget, not a count, ends retrying."""


class WorkerConfig(msgspec.Struct, frozen=True, kw_only=True):
    retry_budget_seconds: float = 900.0
    """From the first attempt, how long a failing message keeps retrying before it is dead-lettered."""
    retry: RetryPolicy = DEFAULT_RETRY
    """The backoff between attempts (its ``max_attempts`` and ``budget`` are not used here)."""
    concurrency: int = 64
    """Messages one worker process holds at once (running, or waiting behind one of the same key)."""
    batch_size: int = 100
    """Rows claimed, read from the stream or relayed per round trip."""
    poll_seconds: float = 1.0
    """How often an idle worker looks for due rows (``wake()`` makes it look at once)."""
    lease_seconds: float = 30.0
    """A claimed message not settled or renewed within this is taken over by another worker
    (the outbox lease, or the stream's idle time before XAUTOCLAIM). Renewed every third of it."""
    handler_timeout_seconds: float = 120.0
    """A handler running longer is cancelled and its message retried (as an unexpected error)."""
    republish_seconds: float = 300.0
    """Redis: a row published this long ago and still not done is published again (a Redis that
    lost its stream loses nothing). Keep it well above the longest handler run."""
    max_lag_seconds: float = 120.0
    """Readiness fails when the oldest due message has waited longer than this."""
