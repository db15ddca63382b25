"""A shipment that overtakes its release's record (found by bench/chaos: the warehouse shipped
3 s after a release whose record came later, and the order went posted -> shipped with no
``released`` step and no fulfilment id). On SQLite and PostgreSQL: the release is recorded once,
after the shipment, without moving the status back, and the warehouse holds one release."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import msgspec
from sqlalchemy import select

from process_apis.orders import repository as repo
from process_apis.orders.flows import OrderFlows
from shared.db.tables import order_history, orders
from shared.messaging.outbox import Message
from shared.models import FulfilmentLine, FulfilmentRef, FulfilmentRequest, ShipmentConfirmed
from tests.fakes.backoffice import FakeFulfilment


def message(topic: str, payload: msgspec.Struct, key: str) -> Message:
    return Message(id=uuid.uuid4().hex, topic=topic, key=key, payload=msgspec.json.encode(payload), attempts=1)


class ShipsAtOnce(FakeFulfilment):
    """A warehouse whose shipment is recorded before its release call has even returned."""

    flows: OrderFlows

    async def release(self, request: FulfilmentRequest) -> FulfilmentRef:
        ref = await super().release(request)
        if len(self.release_calls) == 1:
            await self.flows.record_shipment(message("shipment.confirmed", shipment(request), request.order_id))
        return ref


def shipment(request: FulfilmentRequest) -> ShipmentConfirmed:
    return ShipmentConfirmed(shipment_id=f"SHP-{uuid.uuid4().hex[:6]}", order_id=request.order_id, carrier="UPS",
                             tracking_number=f"1Z{uuid.uuid4().hex[:10]}", shipped_at=datetime.now(UTC),
                             lines=request.lines)


async def posted(world, flows: OrderFlows) -> str:  # noqa: ANN001
    command = world.order((world.drill, 2, "129.00"), payment="258.00")
    order_id = (await world.service.place_order(command, uuid.uuid4().hex)).order.order_id
    await flows.post_to_erp(message("order.accepted", repo.OrderRef(order_id=order_id), order_id))
    return order_id


async def state(world, order_id: str) -> tuple[str, str | None, list[str]]:  # noqa: ANN001
    async with world.engine.connect() as conn:
        row = (await conn.execute(select(orders.c.status, orders.c.fulfilment_id)
                                  .where(orders.c.order_id == order_id))).one()
        steps = (await conn.execute(select(order_history.c.status).where(order_history.c.order_id == order_id)
                                    .order_by(order_history.c.id))).scalars().all()
    return row.status, row.fulfilment_id, list(steps)


async def test_a_shipment_recorded_before_the_release_call_returned_still_gets_the_release_recorded(world) -> None:
    wms = ShipsAtOnce()
    flows = wms.flows = OrderFlows(world.engine, world.erp, wms, None, world.book)
    order_id = await posted(world, flows)
    await flows.release_to_wms(message("order.posted", repo.OrderRef(order_id=order_id), order_id))
    status, fulfilment_id, steps = await state(world, order_id)
    assert status == "shipped" and fulfilment_id == "FUL-1"
    assert steps == ["accepted", "posted", "shipped", "released"]
    assert wms.release_calls == [order_id]


async def test_a_redelivered_release_after_the_shipment_records_it_once_and_moves_nothing_back(world) -> None:
    wms = FakeFulfilment()
    flows = OrderFlows(world.engine, world.erp, wms, None, world.book)
    order_id = await posted(world, flows)
    request = FulfilmentRequest(order_id=order_id, lines=(FulfilmentLine(sku=world.drill, quantity=2),))
    await wms.release(request)  # the worker released it, then died before writing that down
    await flows.record_shipment(message("shipment.confirmed", shipment(request), order_id))
    assert (await state(world, order_id))[:2] == ("shipped", None)
    for _ in range(2):  # the release's message again, twice
        await flows.release_to_wms(message("order.posted", repo.OrderRef(order_id=order_id), order_id))
    status, fulfilment_id, steps = await state(world, order_id)
    assert status == "shipped" and fulfilment_id == "FUL-1"
    assert steps.count("released") == 1 and steps[-1] == "released"
    assert len(wms.releases) == 1, "the warehouse holds one release"
