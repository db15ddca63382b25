"""ShipWorks fulfilment: orders released to the warehouse, and their shipping.

A release is idempotent on ``order_ref`` and allocates nothing; stock leaves
the warehouse when the order ships (``ship``: by the control, or by itself
``autoship_seconds`` after its release). Shipping takes each line's quantity
from the ``DC-*`` rows of that item, the fullest first, never below 0 (a
short warehouse still ships the whole release: the sandbox does not model
back orders), announces ``inventory.adjusted`` for every row it changed and
then ``shipment.confirmed``. Shipping a shipped order changes nothing and
answers the first shipment. Mutations never await.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from datetime import UTC, datetime
from typing import Protocol

import msgspec

from system_apis.sandbox.events import Announcer, new_event_id
from system_apis.sandbox.formats import rfc3339_now
from system_apis.sandbox.wms.schemas import (
    FulfilmentRequest,
    FulfilmentRequestIn,
    Shipment,
    ShipmentConfirmed,
    WmsNotFound,
)

CARRIER = "UPS"


class Warehouse(Protocol):
    announcer: Announcer

    def take(self, sku: str, quantity: int) -> list[str]:
        """Take up to ``quantity`` from the item's warehouse rows; the locations taken from."""
        ...


class Fulfilments:
    """The fulfilment requests and shipments of one WMS, and its autoship timers."""

    def __init__(self, warehouse: Warehouse, autoship_seconds: float) -> None:
        self._warehouse = warehouse
        self._autoship_seconds = autoship_seconds
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self.reset()

    def reset(self) -> None:
        self.cancel_timers()
        self._requests: dict[str, FulfilmentRequest] = {}
        self._shipments: dict[str, Shipment] = {}
        self._origins: dict[tuple[str, str], list[str]] = {}
        self._request_ids = itertools.count(100001)
        self._shipment_ids = itertools.count(100001)

    def release(self, body: FulfilmentRequestIn) -> tuple[FulfilmentRequest, bool]:
        """The request released for ``order_ref`` before, else a new one; ``True`` when new."""
        existing = self._requests.get(body.order_ref)
        if existing is not None:
            return existing, False
        request = FulfilmentRequest(
            request_id=f"FR-{next(self._request_ids)}",
            order_ref=body.order_ref,
            status="released",
            lines=body.lines,
            ship_to=body.ship_to,
            created_at=rfc3339_now(),
        )
        self._requests[body.order_ref] = request
        if self._autoship_seconds > 0:
            loop = asyncio.get_running_loop()
            self._timers[body.order_ref] = loop.call_later(self._autoship_seconds, self._autoship, body.order_ref)
        return request, True

    def ship(self, order_ref: str, shipped_at: datetime | None = None) -> Shipment:
        """Ship what was released for ``order_ref`` (see the module docstring)."""
        shipped = self._shipments.get(order_ref)
        if shipped is not None:
            return shipped
        request = self._requests.get(order_ref)
        if request is None:
            raise WmsNotFound(f"nothing was released for order {order_ref}")
        timer = self._timers.pop(order_ref, None)
        if timer is not None:
            timer.cancel()
        for line in request.lines:
            self._origins[(order_ref, line.item_code)] = self._warehouse.take(line.item_code, line.quantity)
        shipment = Shipment(
            order_ref=order_ref,
            shipment_id=f"SHP-{next(self._shipment_ids)}",
            carrier=CARRIER,
            tracking_number="1Z" + uuid.uuid4().hex[:16].upper(),
            shipped_at=_rfc3339(shipped_at) if shipped_at else rfc3339_now(),
            lines=request.lines,
        )
        self._shipments[order_ref] = shipment
        self._requests[order_ref] = msgspec.structs.replace(
            request, status="shipped", shipment_id=shipment.shipment_id
        )
        self._warehouse.announcer.announce(
            ShipmentConfirmed(event_id=new_event_id("wms"), occurred_at=rfc3339_now(), payload=shipment)
        )
        return shipment

    def origins(self, order_ref: str, sku: str) -> list[str]:
        """The warehouses the order's ``sku`` was shipped from (none if it did not ship)."""
        return self._origins.get((order_ref, sku), [])

    @property
    def scheduled(self) -> int:
        """Released orders waiting to ship by themselves."""
        return len(self._timers)

    def cancel_timers(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    def _autoship(self, order_ref: str) -> None:
        self._timers.pop(order_ref, None)
        self.ship(order_ref)


def _rfc3339(when: datetime) -> str:
    aware = when if when.tzinfo else when.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
