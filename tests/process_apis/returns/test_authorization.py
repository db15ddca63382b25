"""Return authorization: every rule of CONTRACT section 3, review, and the idempotency ledger."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from process_apis.returns.schemas import ReturnPolicy
from process_apis.returns.service import ReturnService
from shared.errors import BackendUnavailable, BusinessRuleViolation, Conflict, NotFound
from shared.idempotency import IdempotencyLedger
from process_apis.orders.backoffice import BackOffice


async def test_a_shipped_card_order_line_is_authorized_at_the_price_paid(world) -> None:
    order_id = await world.order((world.drill, 2, "99.00"), (world.bits, 1, "24.50"), customer=world.acme)
    rma = (await world.service.request_return(world.request(order_id, (world.drill, 1, "not_needed"),
                                                            customer=world.acme), "k1")).rma
    assert (rma.status, rma.order_id, rma.customer_id, rma.channel) == ("authorized", order_id, world.acme, "storefront")
    (line,) = rma.lines
    assert (line.decision, line.disposition, line.refund_amount, line.rejection_reason) == (
        "approved", "restock", Decimal("99.00"), None)
    assert (rma.refund.amount, rma.refund.currency, rma.refund.status, rma.refund.method) == (
        Decimal("99.00"), "USD", "pending", "card")
    assert rma.saga_step == "credit_memo" and rma.rma_id.startswith("rma_")
    assert [(h.status, h.refund_status) for h in (await world.returned(rma.rma_id)).history] == [
        ("authorized", "pending")]


@pytest.mark.parametrize("reason, disposition", [
    ("damaged", "inspect"), ("defective", "inspect"), ("wrong_item", "restock"), ("not_needed", "restock"),
    ("other", "restock")])
async def test_disposition_follows_the_reason(world, reason: str, disposition: str) -> None:
    order_id = await world.order((world.bits, 1, "24.50"))
    rma = (await world.service.request_return(world.request(order_id, (world.bits, 1, reason)), "k")).rma
    assert rma.lines[0].disposition == disposition


async def test_settings_may_send_a_reason_to_scrap(world) -> None:
    service = ReturnService(world.engine, IdempotencyLedger(world.engine), BackOffice(world.erp),
                            ReturnPolicy(dispositions={"other": "scrap"}))
    order_id = await world.order((world.bits, 2, "24.50"))
    rma = (await service.request_return(world.request(order_id, (world.bits, 1, "other"), (world.bits, 1, "damaged")),
                                        "k")).rma
    assert [line.disposition for line in rma.lines] == ["scrap", "inspect"]


async def test_final_sale_lines_are_rejected_and_a_return_of_nothing_else_is_rejected(world) -> None:
    order_id = await world.order((world.glasses, 2, "8.75"), (world.bits, 1, "24.50"))
    mixed = (await world.service.request_return(
        world.request(order_id, (world.glasses, 1, "not_needed"), (world.bits, 1, "not_needed")), "k1")).rma
    assert [(l.decision, l.rejection_reason, l.refund_amount) for l in mixed.lines] == [
        ("rejected", "final_sale", Decimal("0.00")), ("approved", None, Decimal("24.50"))]
    assert (mixed.status, mixed.refund.amount) == ("authorized", Decimal("24.50"))
    only = (await world.service.request_return(world.request(order_id, (world.glasses, 2, "defective")), "k2")).rma
    assert (only.status, only.refund.status, only.refund.amount, only.saga_step) == (
        "rejected", "not_applicable", Decimal("0.00"), None)


async def test_the_return_window_counts_from_the_shipment_per_channel(world) -> None:
    late = await world.order((world.bits, 1, "24.50"), days_ago=31)
    rma = (await world.service.request_return(world.request(late, (world.bits, 1, "not_needed")), "k1")).rma
    assert (rma.status, rma.lines[0].rejection_reason) == ("rejected", "outside_return_window")
    partner = ReturnService(world.engine, IdempotencyLedger(world.engine), BackOffice(world.erp),
                            ReturnPolicy(window_days_by_channel={"partner": 60}))
    late_partner = await world.order((world.bits, 1, "24.50"), channel="partner", days_ago=59)
    ok = (await partner.request_return(world.request(late_partner, (world.bits, 1, "not_needed")), "k2")).rma
    assert ok.status == "authorized"


async def test_an_order_not_shipped_yet_is_refused(world) -> None:
    order_id = await world.order((world.bits, 1, "24.50"), days_ago=None)
    with pytest.raises(BusinessRuleViolation) as refused:
        await world.service.request_return(world.request(order_id, (world.bits, 1, "not_needed")), "k")
    assert refused.value.code == "not_shipped"


async def test_only_what_was_shipped_and_not_returned_may_come_back(world) -> None:
    order_id = await world.order((world.drill, 2, "99.00"), (world.bits, 1, "24.50"))
    with pytest.raises(BusinessRuleViolation) as too_many:
        await world.service.request_return(world.request(
            order_id, (world.drill, 2, "damaged"), (world.drill, 1, "other"), (world.glasses, 1, "other")), "k1")
    assert too_many.value.code == "quantity_exceeds_returnable"
    assert [e["field"] for e in too_many.value.errors] == ["lines[0].quantity", "lines[1].quantity", "lines[2].quantity"]
    await world.service.request_return(world.request(order_id, (world.drill, 1, "not_needed")), "k2")
    with pytest.raises(BusinessRuleViolation) as second:
        await world.service.request_return(world.request(order_id, (world.drill, 2, "not_needed")), "k3")
    assert second.value.code == "quantity_exceeds_returnable"
    last = (await world.service.request_return(world.request(order_id, (world.drill, 1, "not_needed")), "k4")).rma
    assert last.status == "authorized"


async def test_a_refund_above_the_threshold_waits_for_review_then_approval_starts_the_saga(world) -> None:
    order_id = await world.order((world.big, 1, "600.00"))
    rma = (await world.service.request_return(world.request(order_id, (world.big, 1, "not_needed")), "k")).rma
    assert (rma.status, rma.refund.status, rma.saga_step) == ("pending_review", "pending", None)
    with pytest.raises(BusinessRuleViolation):  # its units are held while it waits
        await world.service.request_return(world.request(order_id, (world.big, 1, "not_needed")), "k2")
    approved = await world.service.approve(rma.rma_id, "ops@hub")
    assert (approved.status, approved.saga_step) == ("authorized", "credit_memo")
    assert approved.history[-1].detail == "approved by ops@hub"
    assert (await world.service.approve(rma.rma_id, "ops@hub")).status == "authorized"  # idempotent
    with pytest.raises(Conflict) as late:
        await world.service.reject(rma.rma_id, "ops@hub")
    assert late.value.code == "return_not_pending_review"


async def test_a_rejected_review_refunds_nothing_and_frees_the_units(world) -> None:
    order_id = await world.order((world.big, 1, "600.00"))
    rma = (await world.service.request_return(world.request(order_id, (world.big, 1, "not_needed")), "k")).rma
    rejected = await world.service.reject(rma.rma_id, "ops@hub", "used")
    assert (rejected.status, rejected.refund.status, rejected.refund.amount, rejected.saga_step) == (
        "rejected", "not_applicable", Decimal("0.00"), None)
    assert [(l.decision, l.rejection_reason) for l in rejected.lines] == [("rejected", "rejected_on_review")]
    assert rejected.history[-1].detail == "rejected by ops@hub: used"
    with pytest.raises(Conflict):
        await world.service.approve(rma.rma_id, "ops@hub")
    again = (await world.service.request_return(world.request(order_id, (world.big, 1, "not_needed")), "k2")).rma
    assert again.status == "pending_review"


async def test_another_customers_order_or_return_is_not_found(world) -> None:
    order_id = await world.order((world.bits, 1, "24.50"), customer=world.acme)
    with pytest.raises(NotFound) as hidden:
        await world.service.request_return(world.request(order_id, (world.bits, 1, "other"), customer=world.bolt), "k")
    assert hidden.value.code == "unknown_order"
    rma = (await world.service.request_return(world.request(order_id, (world.bits, 1, "other"), customer=world.acme),
                                              "k")).rma
    with pytest.raises(NotFound):
        await world.service.get_return(rma.rma_id, world.viewer(customer=world.bolt))
    assert (await world.service.get_return(rma.rma_id, world.viewer(customer=world.acme))).rma_id == rma.rma_id
    guest_order = await world.order((world.bits, 1, "24.50"))
    with pytest.raises(NotFound):
        await world.service.request_return(world.request(guest_order, (world.bits, 1, "other"), consumer="other"), "k")


async def test_same_key_replays_refusals_and_answers_and_refuses_another_body(world) -> None:
    order_id = await world.order((world.bits, 1, "24.50"))
    command = world.request(order_id, (world.bits, 1, "other"))
    first = await world.service.request_return(command, "same")
    again = await world.service.request_return(command, "same")
    assert again.replayed and again.rma == first.rma
    with pytest.raises(BusinessRuleViolation) as reused:
        await world.service.request_return(world.request(order_id, (world.bits, 1, "damaged")), "same")
    assert reused.value.code == "idempotency_key_reused"
    too_many = world.request(order_id, (world.bits, 5, "other"))
    for _ in range(2):
        with pytest.raises(BusinessRuleViolation) as refused:
            await world.service.request_return(too_many, "refused")
        assert refused.value.code == "quantity_exceeds_returnable"
    assert refused.value.headers == {"Idempotent-Replayed": "true"}


async def test_identical_requests_at_once_make_one_return(world) -> None:
    order_id = await world.order((world.drill, 2, "99.00"))
    command = world.request(order_id, (world.drill, 2, "not_needed"))
    same_key = await asyncio.gather(*(world.service.request_return(command, "one") for _ in range(5)),
                                    return_exceptions=True)
    made = {r.rma.rma_id for r in same_key if not isinstance(r, Exception)}
    assert len(made) == 1 and all(isinstance(r, Conflict) for r in same_key if isinstance(r, Exception))
    other = await world.order((world.drill, 2, "99.00"))
    command = world.request(other, (world.drill, 2, "not_needed"))
    keys = await asyncio.gather(*(world.service.request_return(command, f"k{i}") for i in range(5)),
                                return_exceptions=True)
    assert len([r for r in keys if not isinstance(r, Exception)]) == 1
    assert {r.code for r in keys if isinstance(r, Exception)} == {"quantity_exceeds_returnable"}


async def test_an_erp_outage_releases_the_key(world) -> None:
    order_id = await world.order((world.bits, 1, "24.50"))
    command = world.request(order_id, (world.bits, 1, "other"))
    world.erp.down = True
    with pytest.raises(BackendUnavailable):
        await world.service.request_return(command, "k")
    world.erp.down = False
    assert (await world.service.request_return(command, "k")).rma.status == "authorized"


async def test_an_order_paid_on_account_is_refunded_as_an_account_credit(world) -> None:
    order_id = await world.order((world.drill, 1, "99.00"), customer=world.acme, card=False)
    rma = (await world.service.request_return(world.request(order_id, (world.drill, 1, "other"),
                                                            customer=world.acme), "k")).rma
    assert (rma.refund.method, rma.refund.status) == ("account_credit", "pending")
