"""Which fulfilment connection serves a location: the hub's several warehouses and 3PLs.

Every connection serving the ``fulfilment`` role is a candidate, in declaration
order (defaults first). Each serves the locations its ``locations`` prefixes
name (``DC-`` for the WMS, ``3PL-`` for a 3PL); a location two connections
claim goes to the longer prefix, then to the one declared first. The first
fulfilment connection is the **default**: it takes what no connection serves,
so a hub with one fulfilment connection releases every order to it, whole.
The process layer plans and releases an order's lines by these routes
(``process_apis/orders/release.py``); nothing here names a vendor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from shared.models import ReturnReceived, ShipmentConfirmed
from system_apis.wms.fulfilment_port import FulfilmentPort


@runtime_checkable
class ShipmentFeed(Protocol):
    """A fulfilment connection that sends no shipment events: its shipments are polled."""

    async def shipments(self, order_id: str) -> list[ShipmentConfirmed]:
        """The order's shipments that left, with tracking (none while it is open); ``NotFound``
        when the connection holds no such order."""
        ...


@runtime_checkable
class ReceiptFeed(Protocol):
    """A fulfilment connection that sends no return events: its return receipts are polled."""

    async def received_returns(self, rma_ids: list[str]) -> list[ReturnReceived]:
        """What arrived of each of these expected returns that the connection has finished
        receiving (one per RMA, the units by SKU); none for a return still awaited, cancelled
        or unknown there."""
        ...


class PolledFulfilment(FulfilmentPort, ShipmentFeed, ReceiptFeed, Protocol):
    """A fulfilment connection whose shipments and return receipts are polled: the Protocol a
    split system role serves it under (``fulfilment.<name>`` over RPC), so a worker polls it too."""


def polled(adapter: object) -> bool:
    """Whether an adapter (or its class) polls for both shipments and return receipts."""
    return callable(getattr(adapter, "shipments", None)) and callable(getattr(adapter, "received_returns", None))


@dataclass(frozen=True)
class FulfilmentRoutes:
    ports: Mapping[str, FulfilmentPort]
    """Every fulfilment connection by name, in declaration order: the first is the default."""
    locations: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Connection name -> the location prefixes it serves."""

    @property
    def default(self) -> str:
        return next(iter(self.ports))

    @property
    def several(self) -> bool:
        return len(self.ports) > 1

    def serving(self, location: str) -> str | None:
        """The connection serving ``location`` (longest prefix, then declaration order), or None."""
        best: tuple[int, int, str] | None = None
        for rank, name in enumerate(self.ports):
            for prefix in self.locations.get(name, ()):
                if location.startswith(prefix) and (best is None or (-len(prefix), rank) < best[:2]):
                    best = (-len(prefix), rank, name)
        return best[2] if best else None

    def rank(self, name: str) -> int:
        """A connection's place in the declaration order (the preference among those that can ship)."""
        return list(self.ports).index(name)

    def feeds(self) -> dict[str, ShipmentFeed]:
        """The connections whose shipments are polled, by name."""
        return {name: port for name, port in self.ports.items() if isinstance(port, ShipmentFeed)}

    def receipt_feeds(self) -> dict[str, ReceiptFeed]:
        """The connections whose return receipts are polled, by name."""
        return {name: port for name, port in self.ports.items() if isinstance(port, ReceiptFeed)}
