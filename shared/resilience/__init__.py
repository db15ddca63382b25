"""Resilience primitives for calls to backends.

``Guard`` (one per backend, built in a composition root) combines the others:
``CircuitBreaker``, ``Bulkhead``, ``BackendStats`` and ``RetryPolicy``.
``deadline_scope`` bounds every guarded call made inside it.
"""

from shared.resilience.breaker import CircuitBreaker, CircuitState
from shared.resilience.bulkhead import Bulkhead
from shared.resilience.guard import Guard, deadline_scope, remaining_deadline
from shared.resilience.retry import RetryPolicy
from shared.resilience.stats import BackendHealth, BackendStats

__all__ = [
    "BackendHealth",
    "BackendStats",
    "Bulkhead",
    "CircuitBreaker",
    "CircuitState",
    "Guard",
    "RetryPolicy",
    "deadline_scope",
    "remaining_deadline",
]
