"""What a handler's failure means for its message: retry when, or dead-letter why.

- ``BackendUnavailable`` (down, 5xx, throttled, circuit open): retried after a
  full-jitter backoff, never sooner than its ``retry_after``. A circuit is one
  process's view, so its time left holds a message back at most the policy's
  ``max_delay``: another worker, or this one restarted, may have it closed.
- Any other ``HubError`` (a backend said no, a business rule): permanent, the
  message is dead-lettered at once. Retrying cannot change the answer.
- Any other exception is a bug or an unclassified library error: retried like
  a transient failure (a deploy may fix it) and logged with its traceback by
  the worker. Its reason names the exception's type only: its text may hold
  SQL or a backend body, which never reaches the dead-letter API.
- Whatever the error, once ``retry_budget_seconds`` of the message's budget
  clock have passed the message is dead-lettered with the last error as its
  reason, except ``CircuitOpen``: the backend was not even tried (a call that
  tried and failed raises its own failure, see ``Guard.call``), so it is no
  attempt against the budget. The message is deferred until the circuit may
  probe, and its budget clock (``first_attempt_at``) moves forward by the
  same deferral: time spent waiting for an open circuit never counts. The
  clock starts at the first delivery, so a replayed dead letter (a new
  message) starts a whole budget.
- An error marked ``defers`` (``shared.ops.pauses.BackendPaused``: an operator
  paused the backend) defers the message by its ``retry_after`` and restarts
  the budget's clock (``first_attempt_at`` cleared): a pause spends no budget,
  and after a maintenance the message has its whole budget again.

A reason is ``"<code>: <detail>"``, at most 500 characters, never a stack trace.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from shared.errors import BackendUnavailable, CircuitOpen, HubError, Starting, StoreUnavailable
from shared.messaging.config import WorkerConfig

REASON_MAX = 500


@dataclass(frozen=True, slots=True)
class Failure:
    """A failed delivery's fate: retry at ``retry_at``, or dead-letter when ``retry_at`` is None."""

    reason: str
    retry_at: datetime | None
    backend: str | None = None
    """The backend the last error came from (a ``BackendError``'s), kept with a dead letter."""
    budget_from: datetime | None = None
    """When set, the message's new budget clock (``first_attempt_at``): a circuit-open deferral."""
    fresh: bool = False
    """Deferred, not failed (its backend is paused): the retry budget's clock restarts."""

    @property
    def dead(self) -> bool:
        return self.retry_at is None


def reason_of(exc: BaseException) -> str:
    if isinstance(exc, HubError):
        text = f"{exc.code}: {exc.detail}"
    elif isinstance(exc, TimeoutError):
        text = "handler_timeout: the handler did not finish in time"
    else:
        text = f"internal_error: unexpected {type(exc).__name__} in the handler (see the worker log)"
    return text[:REASON_MAX]


def is_permanent(exc: BaseException) -> bool:
    """A ``HubError`` other than the ones that say "later": a backend or the hub's own store (met
    over the internal RPC) unavailable, a role still starting."""
    return isinstance(exc, HubError) and not isinstance(exc, (BackendUnavailable, StoreUnavailable, Starting))


def decide(
    exc: BaseException,
    *,
    attempts: int,
    first_attempt_at: datetime,
    now: datetime,
    config: WorkerConfig,
    rng: Callable[[], float] = random.random,
) -> Failure:
    reason = reason_of(exc)
    backend = (getattr(exc, "backend", "") or None) if isinstance(exc, HubError) else None
    if is_permanent(exc):
        return Failure(reason, None, backend)
    if getattr(exc, "defers", False):  # a paused backend (shared.ops.pauses): not an attempt at all
        wait = getattr(exc, "retry_after", None) or config.retry.max_delay
        return Failure(reason, now + timedelta(seconds=min(wait, config.retry.max_delay)), backend, fresh=True)
    if isinstance(exc, CircuitOpen):  # not tried: deferred until it may probe, no backoff, no budget spent
        wait = exc.retry_after if exc.retry_after is not None else config.retry.delay(max(attempts, 1), rng=rng)
        deferral = timedelta(seconds=min(wait, config.retry.max_delay))
        return Failure(reason, now + deferral, backend, budget_from=first_attempt_at + deferral)
    spent = (now - first_attempt_at).total_seconds()
    if spent >= config.retry_budget_seconds:
        budget = f" (retry budget of {config.retry_budget_seconds:g} s spent after {attempts} attempts)"
        return Failure((reason[: REASON_MAX - len(budget)] + budget), None, backend)
    retry_after = getattr(exc, "retry_after", None) if isinstance(exc, BackendUnavailable) else None
    delay = config.retry.delay(max(attempts, 1), retry_after, rng=rng)
    return Failure(reason, now + timedelta(seconds=delay), backend)
