"""A refund never exceeds what was paid for the returned lines (issue 10, defect 2): the
returnable quantity is capped by the order at authorization, and the saga checks again right
before money moves, whatever let the return through (an RMA written before the fix, a race).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update

from process_apis.orders import repository as orders
from process_apis.returns import repository as repo
from process_apis.returns.saga import SAGA_TOPIC, SagaStep
from process_apis.returns.schemas import ReturnLine
from shared.db.tables import returns
from shared.errors import BusinessRuleViolation
from shared.messaging.outbox import enqueue
from shared.models import FulfilmentLine, ShipmentConfirmed


async def legacy_shipment(world, order_id: str, *lines: tuple[str, int]) -> None:  # noqa: ANN001
    """A shipment recorded by the hub before it checked shipments against the order."""
    async with world.engine.begin() as conn:
        await orders.add_shipment(conn, ShipmentConfirmed(
            shipment_id=f"SHP-{uuid.uuid4().hex[:8]}", order_id=order_id, carrier="UPS",
            tracking_number=f"1Z{uuid.uuid4().hex[:8]}", shipped_at=datetime.now(UTC) - timedelta(days=1),
            lines=tuple(FulfilmentLine(sku=s, quantity=q) for s, q in lines)))


async def forged_rma(world, order_id: str, quantity: int, unit: str, *, step: str, refund_status: str = "pending",
                     credit_memo_id: str | None = None) -> str:  # noqa: ANN001
    """An RMA written straight into the table (as authorization would have before the fix), its
    saga at ``step`` with that step's message queued (none when ``step`` is ``done``)."""
    amount = (Decimal(unit) * quantity).quantize(Decimal("0.01"))
    now = datetime.now(UTC)
    rma = repo.StoredReturn(
        rma_id=repo.new_rma_id(), order_id=order_id, consumer=world.consumer, customer_id=None, channel="storefront",
        status="authorized", currency="USD", refund_amount=amount, refund_status=refund_status, refund_method="card",
        saga_step=step, credit_memo_id=credit_memo_id, created_at=now, updated_at=now,
        lines=(ReturnLine(sku=world.bits, quantity=quantity, reason="not_needed", decision="approved",
                          disposition="restock", unit_price=Decimal(unit), refund_amount=amount),))
    async with world.engine.begin() as conn:
        await repo.insert_return(conn, rma, "written before the fix")
        await conn.execute(update(returns).where(returns.c.rma_id == rma.rma_id).values(credit_memo_id=credit_memo_id))
        if step != "done":
            await enqueue(conn, SAGA_TOPIC, rma.rma_id, SagaStep(rma.rma_id, step))
    return rma.rma_id


async def test_a_return_is_capped_by_the_order_whatever_was_recorded_as_shipped(world) -> None:
    """The reported case: 1 x 24.50 ordered, 5 recorded as shipped; a return of 5 is refused."""
    order_id = await world.order((world.bits, 1, "24.50"))
    await legacy_shipment(world, order_id, (world.bits, 4), ("STRANGER-SKU", 2))
    with pytest.raises(BusinessRuleViolation) as refused:
        await world.service.request_return(world.request(order_id, (world.bits, 5, "not_needed")), "k1")
    assert refused.value.code == "quantity_exceeds_returnable"
    assert refused.value.errors == [{"field": "lines[0].quantity", "message": f"1 of {world.bits} may still be "
                                                                              "returned from this order"}]
    with pytest.raises(BusinessRuleViolation) as stranger:
        await world.service.request_return(world.request(order_id, ("STRANGER-SKU", 1, "not_needed")), "k2")
    assert stranger.value.code == "quantity_exceeds_returnable"
    one = (await world.service.request_return(world.request(order_id, (world.bits, 1, "not_needed")), "k3")).rma
    assert (one.status, one.refund.amount) == ("authorized", Decimal("24.50"))
    with pytest.raises(BusinessRuleViolation) as again:
        await world.service.request_return(world.request(order_id, (world.bits, 1, "not_needed")), "k4")
    assert again.value.code == "quantity_exceeds_returnable"


async def test_the_saga_refuses_a_refund_beyond_what_was_paid_and_pays_nothing(world) -> None:
    order_id = await world.order((world.bits, 1, "24.50"))
    await legacy_shipment(world, order_id, (world.bits, 4))
    rma_id = await forged_rma(world, order_id, 5, "24.50", step="credit_memo")
    await world.start_worker()
    failed = await world.finish(rma_id)
    assert (failed.saga_step, failed.refund.status) == ("failed", "failed")
    assert failed.refund.reason.startswith("credit_memo: refund_exceeds_paid")
    assert world.payments.calls == 0 and world.payments.refunds == {} and rma_id not in world.erp.memos
    (letter,) = await world.dead_letters(rma_id)
    assert letter.topic == "return.saga" and letter.reason.startswith("saga_step_failed")
    assert "refund_exceeds_paid" in letter.reason


async def test_the_refund_step_counts_the_orders_other_refunds(world) -> None:
    """Two returns of the one unit ordered (the second let through before the fix): the first
    was refunded; the second reaches ``payment_refund`` and is refused there, then undone."""
    order_id = await world.order((world.bits, 1, "24.50"))
    await forged_rma(world, order_id, 1, "24.50", step="done", refund_status="issued")
    second = await forged_rma(world, order_id, 1, "24.50", step="payment_refund", credit_memo_id="CM-9")
    world.erp.memos[second] = {"id": "CM-9", "amount": Decimal("24.50"), "status": "open", "lines": (),
                               "order": "SO-1"}
    world.wms.receipts[second] = {"status": "expected", "lines": ()}
    await world.start_worker()
    failed = await world.finish(second)
    assert (failed.saga_step, failed.refund.status) == ("failed", "failed")
    assert failed.refund.reason.startswith("payment_refund: refund_exceeds_paid")
    assert world.payments.calls == 0
    assert world.wms.receipts[second]["status"] == "cancelled" and world.erp.memos[second]["status"] == "void"
    (letter,) = await world.dead_letters(second)
    assert "refund_exceeds_paid" in letter.reason


async def test_refunds_within_what_was_paid_still_go_through(world) -> None:
    """Two returns of one unit each of a two-unit order: both refunded (the guard counts, it
    does not refuse a second return)."""
    await world.start_worker()
    order_id = await world.order((world.bits, 2, "24.50"))
    first = (await world.service.request_return(world.request(order_id, (world.bits, 1, "not_needed")), "a")).rma
    second = (await world.service.request_return(world.request(order_id, (world.bits, 1, "damaged")), "b")).rma
    for rma in (first, second):
        done = await world.finish(rma.rma_id)
        assert (done.saga_step, done.refund.status, done.refund.amount) == ("done", "issued", Decimal("24.50"))
    assert world.payments.calls == 2
