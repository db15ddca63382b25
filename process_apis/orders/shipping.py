"""Which shipment confirmations an order accepts: pure functions, no I/O.

A shipment (from the WMS over ``/hooks/wms``, the sandbox WMS's ship control,
or any channel that confirms one) is applied whole or not at all. It is
refused when:

    order_not_shippable   the order is on hold or cancelled: nothing of it was released
    invalid_shipment      no lines, or a line of zero or fewer units
    duplicate_shipment    another shipment id already carried this parcel (same carrier
                          and tracking number): a resend under a new id
    sku_not_in_order      a line names a SKU the order does not have
    over_shipment         a SKU ships beyond ordered minus already shipped

A shipment that is partly too much is refused whole: it contradicts the order,
so which part really left the warehouse is a question for an operator, not a
guess (the dead letter keeps the shipment; replaying it after the order or the
WMS was put right applies it). The same shipment id again is not a refusal: it
was recorded before and changes nothing (the caller checks that first).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple, Protocol

from process_apis.orders.schemas import ShipmentView
from shared.models import ShipmentConfirmed

REASONS = ("order_not_shippable", "invalid_shipment", "duplicate_shipment", "sku_not_in_order", "over_shipment")
NOT_SHIPPABLE = ("on_hold", "cancelled")


class Line(Protocol):
    """An order, shipment or return line: so many units of a SKU."""

    @property
    def sku(self) -> str: ...

    @property
    def quantity(self) -> int: ...


class Refusal(NamedTuple):
    code: str
    detail: str


def per_sku(lines: Iterable[Line]) -> dict[str, int]:
    """Units per SKU (a SKU may be on several lines)."""
    out: dict[str, int] = {}
    for line in lines:
        out[line.sku] = out.get(line.sku, 0) + line.quantity
    return out


def shipped_per_sku(earlier: Iterable[ShipmentView]) -> dict[str, int]:
    out: dict[str, int] = {}
    for shipment in earlier:
        for sku, quantity in per_sku(shipment.lines).items():
            out[sku] = out.get(sku, 0) + quantity
    return out


def refusal(status: str, ordered: Mapping[str, int], earlier: Iterable[ShipmentView],
            shipment: ShipmentConfirmed) -> Refusal | None:
    """Why the order cannot take ``shipment`` on top of ``earlier`` ones, or None."""
    earlier = list(earlier)
    where = f"shipment {shipment.shipment_id} of order {shipment.order_id}"
    if status in NOT_SHIPPABLE:
        return Refusal("order_not_shippable", f"The {where} is for an order that is {status}.")
    if not shipment.lines or any(line.quantity <= 0 for line in shipment.lines):
        return Refusal("invalid_shipment", f"The {where} has no lines or a line of no units.")
    parcel = (shipment.carrier.strip().lower(), shipment.tracking_number.strip().lower())
    for seen in earlier:
        if parcel[1] and (seen.carrier.strip().lower(), seen.tracking_number.strip().lower()) == parcel:
            return Refusal("duplicate_shipment", f"The {where} repeats shipment {seen.shipment_id} "
                                                 f"({shipment.carrier} {shipment.tracking_number}) under a new id.")
    wanted = per_sku(shipment.lines)
    strangers = sorted(sku for sku in wanted if sku not in ordered)
    if strangers:
        return Refusal("sku_not_in_order", f"The {where} ships {', '.join(strangers)}, not on the order.")
    shipped = shipped_per_sku(earlier)
    excess = [f"{sku}: {wanted[sku]} shipped, {ordered[sku] - shipped.get(sku, 0)} left to ship"
              for sku in sorted(wanted) if shipped.get(sku, 0) + wanted[sku] > ordered[sku]]
    if excess:
        return Refusal("over_shipment", f"The {where} ships more than was ordered and not yet shipped "
                                        f"({'; '.join(excess)}).")
    return None
