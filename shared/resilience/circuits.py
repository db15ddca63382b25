"""Where the backends' circuits stand, for whoever does not hold the breakers.

A dead-letter replay (admin API, ``hub dlq replay``) tells the operator the
state of the circuit of the backend the dead letter failed on, and holds the
replayed message until that circuit may probe. The breakers live where the
system APIs run: in process for the ``all`` role (``GuardCircuits``), in the
``system`` role otherwise, which serves the same ``CircuitPort`` over the
internal RPC (``POST /rpc/circuits/states``, ``shared.rpc``); a gateway with
``HUB_SYSTEM_URL`` asks it there. Several system replicas each have their own
breakers: the one that answers speaks for itself only.

``circuit_of`` never raises: a backend nobody answers for, a role with no way
to ask, or a system role that does not answer within ``ASK_SECONDS`` give
``unknown`` (the replay then goes at once, as before).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Literal, Protocol

import msgspec

from shared.resilience.guard import Guard

log = logging.getLogger("commerce_hub.resilience")

CircuitAnswer = Literal["closed", "open", "half_open", "unknown"]
ASK_SECONDS = 2.0
"""How long a replay waits for the system role's answer before it says ``unknown``."""


class CircuitView(msgspec.Struct, frozen=True, kw_only=True):
    backend: str
    state: str
    """``closed``, ``open`` or ``half_open``."""
    retry_after: float | None = None
    """Seconds until a call may pass again (0 when a probe may go now); None when closed."""


class CircuitPort(Protocol):
    async def states(self) -> list[CircuitView]:
        """Every backend circuit this role holds, by backend name."""
        ...


class GuardCircuits:
    """``CircuitPort`` over a role's own guards (the ``all`` and ``system`` roles)."""

    def __init__(self, guards: dict[str, Guard]) -> None:
        self._guards = guards

    async def states(self) -> list[CircuitView]:
        return [CircuitView(backend=name, state=guard.breaker.state, retry_after=guard.breaker.retry_after())
                for name, guard in self._guards.items()]


class CircuitReport(msgspec.Struct, frozen=True, kw_only=True):
    """One backend's circuit as a replay reports it."""

    state: CircuitAnswer
    retry_at: datetime | None = None
    """When a call may pass again (RFC 3339, UTC): set when the circuit holds calls back."""

    def delay(self, now: datetime) -> float:
        """Seconds a replayed message should wait so its first attempt is not refused."""
        return max((self.retry_at - now).total_seconds(), 0.0) if self.retry_at is not None else 0.0


UNKNOWN = CircuitReport(state="unknown")


async def circuit_of(port: CircuitPort | None, backend: str, now: datetime) -> CircuitReport:
    """The named backend's circuit, or ``unknown`` when it cannot be known right now."""
    if port is None:
        return UNKNOWN
    try:
        async with asyncio.timeout(ASK_SECONDS):
            views = await port.states()
    except Exception as exc:  # noqa: BLE001 - any failure to ask means we do not know; say so
        log.warning("could not read the circuits for %s (%s)", backend, type(exc).__name__)
        return UNKNOWN
    view = next((v for v in views if v.backend == backend), None)
    if view is None or view.state not in ("closed", "open", "half_open"):
        return UNKNOWN
    wait = view.retry_after or 0.0
    return CircuitReport(state=view.state, retry_at=now + timedelta(seconds=wait) if wait > 0 else None)
