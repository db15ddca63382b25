"""Shipment confirmations against the order (issue 10, defect 2), on SQLite and PostgreSQL:
a shipment never carries more than was ordered and not yet shipped, a resend under a new id
is recognised, and concurrent shipments of one order cannot together exceed it.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import msgspec
import pytest

from process_apis.orders import repository as repo
from process_apis.orders.flows import OrderFlows
from shared.errors import BusinessRuleViolation, NotFound
from shared.messaging.outbox import Message
from shared.metrics import Registry
from shared.models import FulfilmentLine, ShipmentConfirmed


class Shipper:
    """``OrderFlows.record_shipment`` with its refusal counter, fed messages as a worker would."""

    def __init__(self, world) -> None:  # noqa: ANN001
        self.world = world
        self.registry = Registry()
        self.released: list[list[str]] = []
        self.flows = OrderFlows(world.engine, None, None, None, world.book, metrics=self.registry,  # type: ignore[arg-type]
                                released=self.released.append)

    async def ship(self, order_id: str, *lines: tuple[str, int], shipment_id: str | None = None,
                   tracking: str | None = None, carrier: str = "UPS") -> None:
        shipment = ShipmentConfirmed(
            shipment_id=shipment_id or f"SHP-{uuid.uuid4().hex[:8]}", order_id=order_id, carrier=carrier,
            tracking_number=tracking or f"1Z{uuid.uuid4().hex[:12].upper()}", shipped_at=datetime.now(UTC),
            lines=tuple(FulfilmentLine(sku=s, quantity=q) for s, q in lines))
        await self.flows.record_shipment(Message(id=uuid.uuid4().hex, topic="shipment.confirmed", key=order_id,
                                                 payload=msgspec.json.encode(shipment), attempts=1))

    async def refused(self, code: str, order_id: str, *lines: tuple[str, int], **kwargs: str) -> None:
        with pytest.raises(BusinessRuleViolation) as caught:
            await self.ship(order_id, *lines, **kwargs)
        assert caught.value.code == code, caught.value.detail

    def count(self, reason: str) -> float:
        return self.registry.counter("hub_shipments_refused_total", "", ("reason",)).values.get((reason,), 0.0)

    async def shipped(self, order_id: str) -> list[tuple[str, tuple[tuple[str, int], ...]]]:
        async with self.world.engine.connect() as conn:
            return [(s.shipment_id, tuple((l.sku, l.quantity) for l in s.lines))
                    for s in await repo.shipments_of(conn, order_id)]

    async def status(self, order_id: str) -> str:
        async with self.world.engine.connect() as conn:
            return (await repo.load(conn, order_id)).status


async def placed(world, *lines: tuple[str, int, str]) -> str:  # noqa: ANN001
    """A guest card order of ``lines`` (sku, quantity, unit price), accepted (stock held)."""
    total = sum(int(q) * float(p) for _, q, p in lines)
    command = world.order(*lines, payment=f"{total:.2f}")
    return (await world.service.place_order(command, uuid.uuid4().hex)).order.order_id


async def test_a_shipment_of_five_for_a_one_unit_order_is_refused_whole(world) -> None:
    shipper = Shipper(world)
    order_id = await placed(world, (world.bits, 1, "24.50"))
    assert await world.book.available(world.bits) == (8, 1)
    await shipper.refused("over_shipment", order_id, (world.bits, 5))
    assert await shipper.shipped(order_id) == []
    assert await shipper.status(order_id) == "accepted"
    assert await world.book.available(world.bits) == (8, 1), "a refused shipment frees no reservation"
    assert shipper.count("over_shipment") == 1
    await shipper.ship(order_id, (world.bits, 1), shipment_id="SHP-OK")
    assert await shipper.shipped(order_id) == [("SHP-OK", ((world.bits, 1),))]
    assert await shipper.status(order_id) == "shipped"
    assert await world.book.available(world.bits) == (8, 0)


async def test_a_shipment_tells_of_the_holds_it_gave_back(world) -> None:
    """The gateway's cached answers follow a hold given back (``released``: a catalogue event);
    a refused or repeated shipment gives nothing back and tells nothing."""
    shipper = Shipper(world)
    order_id = await placed(world, (world.drill, 2, "129.00"), (world.bits, 1, "24.50"))
    await shipper.refused("over_shipment", order_id, (world.drill, 3))
    assert shipper.released == []
    await shipper.ship(order_id, (world.drill, 2), (world.bits, 1), shipment_id="SHP-1")
    assert shipper.released == [sorted([world.drill, world.bits])]
    assert await world.book.available(world.drill) == (50, 0)
    await shipper.ship(order_id, (world.drill, 2), (world.bits, 1), shipment_id="SHP-1")  # redelivered
    assert len(shipper.released) == 1


async def test_partly_excessive_shipment_applies_nothing(world) -> None:
    shipper = Shipper(world)
    order_id = await placed(world, (world.drill, 2, "129.00"), (world.bits, 1, "24.50"))
    await shipper.refused("over_shipment", order_id, (world.drill, 2), (world.bits, 2))
    assert await shipper.shipped(order_id) == []
    assert await world.book.available(world.drill) == (50, 2)


async def test_partial_shipments_add_up_to_the_order_and_no_further(world) -> None:
    shipper = Shipper(world)
    order_id = await placed(world, (world.drill, 3, "129.00"))
    await shipper.ship(order_id, (world.drill, 1))
    await shipper.ship(order_id, (world.drill, 2))
    await shipper.refused("over_shipment", order_id, (world.drill, 1))
    assert sum(q for _, lines in await shipper.shipped(order_id) for _, q in lines) == 3


async def test_the_same_id_again_changes_nothing_a_new_id_is_recognised(world) -> None:
    shipper = Shipper(world)
    order_id = await placed(world, (world.drill, 2, "129.00"))
    await shipper.ship(order_id, (world.drill, 1), shipment_id="SHP-1", tracking="1ZSAME")
    await shipper.ship(order_id, (world.drill, 1), shipment_id="SHP-1", tracking="1ZSAME")  # redelivery
    assert await shipper.shipped(order_id) == [("SHP-1", ((world.drill, 1),))]
    # one unit is still to ship, yet the same parcel under a new id is a resend, not a second shipment
    await shipper.refused("duplicate_shipment", order_id, (world.drill, 1), shipment_id="SHP-2", tracking="1zsame ")
    assert await shipper.shipped(order_id) == [("SHP-1", ((world.drill, 1),))]
    assert shipper.count("duplicate_shipment") == 1


async def test_a_resend_under_a_new_id_of_a_whole_order_is_an_over_shipment(world) -> None:
    shipper = Shipper(world)
    order_id = await placed(world, (world.bits, 1, "24.50"))
    await shipper.ship(order_id, (world.bits, 1), shipment_id="SHP-A")
    await shipper.refused("over_shipment", order_id, (world.bits, 1), shipment_id="SHP-B")
    assert [s for s, _ in await shipper.shipped(order_id)] == ["SHP-A"]


@pytest.mark.parametrize("lines, code", [
    ((("OTHER-SKU", 1),), "sku_not_in_order"),
    ((), "invalid_shipment"),
    ((("{drill}", 0),), "invalid_shipment"),
    ((("{drill}", -3),), "invalid_shipment"),
])
async def test_bad_shipments_are_refused(world, lines: tuple, code: str) -> None:
    shipper = Shipper(world)
    order_id = await placed(world, (world.drill, 2, "129.00"))
    before = await world.book.available(world.drill)
    await shipper.refused(code, order_id, *[(s.format(drill=world.drill), q) for s, q in lines])
    assert await shipper.shipped(order_id) == [] and await world.book.available(world.drill) == before
    assert shipper.count(code) == 1


async def test_a_shipment_for_no_known_order_is_not_found(world) -> None:
    with pytest.raises(NotFound):
        await Shipper(world).ship("ord_nosuchorder", (world.drill, 1))


async def test_concurrent_shipments_never_exceed_the_order(world) -> None:
    """Five different shipments of one unit each for an order of two, processed at once:
    exactly two are recorded, whichever they are; the others are refused."""
    shipper = Shipper(world)
    order_id = await placed(world, (world.drill, 2, "129.00"))
    outcomes = await asyncio.gather(*(shipper.ship(order_id, (world.drill, 1)) for _ in range(5)),
                                    return_exceptions=True)
    refused = [o for o in outcomes if isinstance(o, BusinessRuleViolation)]
    assert [o for o in outcomes if o is not None and o not in refused] == []
    assert len(refused) == 3 and {o.code for o in refused} == {"over_shipment"}
    assert len(await shipper.shipped(order_id)) == 2
    assert await world.book.available(world.drill) == (50, 0)


async def test_a_sku_on_two_lines_of_a_shipment_counts_once_in_total(world) -> None:
    shipper = Shipper(world)
    order_id = await placed(world, (world.drill, 2, "129.00"))
    await shipper.refused("over_shipment", order_id, (world.drill, 1), (world.drill, 2))
    await shipper.ship(order_id, (world.drill, 1), (world.drill, 1))
    assert await world.book.available(world.drill) == (50, 0)
