"""Backend figures for ``/metrics``: call latency per backend and each circuit's state.

``observe_guards`` hooks each guard's statistics (every call that reached its backend,
and every call refused before it): the latency goes to ``hub_backend_request_seconds``
and the circuit's state after the call to ``hub_circuit_state`` (0 closed, 1 half
open, 2 open; the worst of the workers in multiprocess mode). A scrape also refreshes
the state, so a circuit that turned half open while idle shows it.
"""

from __future__ import annotations

from typing import Iterable

from shared.metrics import Registry
from shared.resilience.guard import Guard

STATE_VALUE = {"closed": 0.0, "half_open": 1.0, "open": 2.0}


def observe_guards(guards: Iterable[Guard], registry: Registry) -> None:
    latency = registry.histogram("hub_backend_request_seconds", "Backend call latency by backend and outcome",
                                 ["backend", "outcome"])
    state = registry.gauge("hub_circuit_state", "Circuit state per backend: 0 closed, 1 half open, 2 open",
                           ["backend"], mode="max")
    guards = list(guards)
    for guard in guards:
        _hook(guard, latency, state)

    def refresh() -> None:
        for guard in guards:
            state.set(guard.name, value=STATE_VALUE[guard.breaker.state])

    registry.before_render.append(refresh)


def _hook(guard: Guard, latency, state) -> None:  # noqa: ANN001
    stats, breaker, name = guard.stats, guard.breaker, guard.name
    record, rejected = stats.record, stats.record_rejected
    state.set(name, value=STATE_VALUE[breaker.state])

    def recorded(seconds: float, *, error: bool = False, throttled: bool = False, code: str | None = None) -> None:
        record(seconds, error=error, throttled=throttled, code=code)
        latency.observe(seconds, name, "throttled" if throttled else "error" if error else "ok")
        state.set(name, value=STATE_VALUE[breaker.state])

    def refused() -> None:
        rejected()
        state.set(name, value=STATE_VALUE[breaker.state])

    stats.record, stats.record_rejected = recorded, refused  # type: ignore[method-assign]
