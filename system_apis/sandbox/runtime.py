"""The running sandbox: its backends, their fault switches and event delivery.

Built once per app by ``create_sandbox_app``; handlers receive it (or one of
its backends) through dependency injection, never from a module global.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, runtime_checkable

import msgspec

from system_apis.sandbox.events import Announcer, EventDelivery
from system_apis.sandbox.faults import FaultBoard


@runtime_checkable
class SandboxBackend(Protocol):
    """What every backend offers the shared controls."""

    name: str
    announcer: Announcer

    def reset(self) -> None:
        """Back to the seed data (the outbox is cleared by the caller)."""
        ...


@runtime_checkable
class StockBackend(SandboxBackend, Protocol):
    """A backend holding stock for the locations starting with its prefix (WMS, POS)."""

    location_prefix: str

    def adjust(self, sku: str, location: str, on_hand: int) -> msgspec.Struct:
        """Set on-hand stock, announce it and return the level in vendor shape."""
        ...


@runtime_checkable
class TimedBackend(SandboxBackend, Protocol):
    """A backend that acts by itself later (the WMS's autoship); its timers end on reset and close."""

    def cancel_timers(self) -> None:
        """Cancel every timer not yet fired."""
        ...


class Sandbox:
    """All backends of one sandbox app."""

    def __init__(self, backends: dict[str, SandboxBackend], faults: FaultBoard, delivery: EventDelivery) -> None:
        self.backends = backends
        self.faults = faults
        self.delivery = delivery
        self._on_reset: list[Callable[[], Awaitable[object]]] = []

    def on_reset(self, listener: Callable[[], Awaitable[object]]) -> None:
        """Await ``listener()`` after every reset: in one process the hub re-reads what it
        holds of the sandbox's state (its stock view) so it matches the seed again."""
        self._on_reset.append(listener)

    async def reset(self) -> None:
        """Every backend back to seed data, faults cleared, outboxes emptied; then the listeners."""
        self.cancel_timers()
        for backend in self.backends.values():
            backend.reset()
            backend.announcer.clear()
        self.faults.clear_all()
        for listener in self._on_reset:
            await listener()

    def cancel_timers(self) -> None:
        """Stop whatever a backend meant to do by itself later."""
        for backend in self.backends.values():
            if isinstance(backend, TimedBackend):
                backend.cancel_timers()

    def stock_owner(self, location: str) -> StockBackend | None:
        """The backend that holds stock at ``location``, if any."""
        for backend in self.backends.values():
            if isinstance(backend, StockBackend) and location.startswith(backend.location_prefix):
                return backend
        return None

    def stock_prefixes(self) -> list[str]:
        """The location prefixes some backend holds stock for."""
        return [b.location_prefix for b in self.backends.values() if isinstance(b, StockBackend)]

    async def aclose(self) -> None:
        """Cancel the backends' timers, stop pending event deliveries and close the HTTP client."""
        self.cancel_timers()
        await self.delivery.aclose()
