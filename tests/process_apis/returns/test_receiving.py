"""Receipts and inspections: the RMA records what came back; the WMS is told each inspection once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from process_apis.returns.receiving import RECEIVED_TOPIC
from shared.db.tables import outbox
from shared.errors import BusinessRuleViolation, Conflict
from shared.messaging import enqueue
from shared.models import FulfilmentLine, ReturnReceived


async def receive(world, rma_id: str, *lines: tuple[str, int]) -> None:  # noqa: ANN001
    async with world.engine.begin() as conn:
        await enqueue(conn, RECEIVED_TOPIC, rma_id, ReturnReceived(
            rma_id=rma_id, lines=tuple(FulfilmentLine(sku=s, quantity=q) for s, q in lines)))
    world.wake()
    await world.settle()


async def test_a_receipt_is_recorded_once_per_line(world) -> None:
    await world.start_worker()
    order_id = await world.order((world.drill, 3, "99.00"), (world.bits, 1, "24.50"))
    rma = (await world.service.request_return(world.request(
        order_id, (world.drill, 1, "not_needed"), (world.drill, 2, "damaged"), (world.bits, 1, "other")), "k")).rma
    await world.finish(rma.rma_id)
    await receive(world, rma.rma_id, (world.drill, 3), (world.bits, 1))
    await receive(world, rma.rma_id, (world.drill, 3), (world.bits, 1))  # the WMS said it twice
    got = await world.returned(rma.rma_id)
    assert [(l.received_quantity, l.disposition) for l in got.lines] == [(1, "restock"), (2, "inspect"), (1, "restock")]
    assert [h.detail for h in got.history].count(
        f"received by the WMS: 1 x {world.drill} (restock), 2 x {world.drill} (inspect), 1 x {world.bits} (restock)") == 1
    assert got.status == "authorized" and got.refund.status == "issued"


async def test_inspection_results_reach_the_wms_once_each(world) -> None:
    await world.start_worker()
    order_id = await world.order((world.drill, 3, "99.00"))
    rma = (await world.service.request_return(world.request(
        order_id, (world.drill, 1, "not_needed"), (world.drill, 2, "defective")), "k")).rma
    await world.finish(rma.rma_id)
    with pytest.raises(Conflict) as early:
        await world.service.inspect(rma.rma_id, world.drill, "restock", "ops")
    assert early.value.code == "nothing_to_inspect"
    await receive(world, rma.rma_id, (world.drill, 3))
    with pytest.raises(BusinessRuleViolation) as too_many:
        await world.service.inspect(rma.rma_id, world.drill, "restock", "ops", quantity=3)
    assert too_many.value.code == "quantity_exceeds_inspectable"
    one = await world.service.inspect(rma.rma_id, world.drill, "restock", "ops", quantity=1)
    assert [(l.restocked_quantity, l.scrapped_quantity) for l in one.lines] == [(0, 0), (1, 0)]
    rest = await world.service.inspect(rma.rma_id, world.drill, "scrap", "ops")
    assert [(l.restocked_quantity, l.scrapped_quantity) for l in rest.lines] == [(0, 0), (1, 1)]
    await world.settle()
    assert sorted(world.wms.inspections.values()) == [
        (rma.rma_id, world.drill, 1, "restock"), (rma.rma_id, world.drill, 1, "scrap")]
    with pytest.raises(Conflict):
        await world.service.inspect(rma.rma_id, world.drill, "scrap", "ops")


async def test_a_receipt_for_an_unknown_return_goes_to_the_dead_letters(world) -> None:
    await world.start_worker()
    await receive(world, "rma_unknown_" + world.drill, (world.drill, 1))
    (letter,) = await world.dead_letters("rma_unknown_" + world.drill)
    assert letter.reason.startswith("unknown_return")
    async with world.engine.connect() as conn:
        assert (await conn.execute(select(outbox.c.id).where(outbox.c.key == "rma_unknown_" + world.drill))).all() == []
