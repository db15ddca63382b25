"""Writes go to one ERP only: the order's owner, decided once, whatever is switched later."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from shared.erp_routing_settings import RoutingRule
from shared.errors import BackendUnavailable
from shared.models import CreditMemoRequest
from system_apis.erp_routing.rules import bucket
from tests.system_apis.erp_routing.harness import TwoErps, order

QBO = "qbo"


async def test_rules_route_by_customer_sku_location_and_percent(two: TwoErps) -> None:
    await two.restart(rules=(RoutingRule(customer="CUST-BOLT", connection=QBO),
                             RoutingRule(sku="SKU-1002", connection=QBO),
                             RoutingRule(location="US-CA", connection=QBO)))
    cases = {order(1, customer="CUST-BOLT"): "quickbooks", order(2, sku="SKU-1002"): "quickbooks",
             order(3, region="CA"): "quickbooks", order(4, region="NY"): "erp", order(5): "erp"}
    for sales_order, backend in cases.items():
        await two.erp.post_sales_order(sales_order)
        assert await two.holders(sales_order.order_id) == [backend], sales_order.order_id


async def test_percent_is_a_stable_share_of_order_ids(two: TwoErps) -> None:
    await two.restart(rules=(RoutingRule(percent=30, connection=QBO),))
    orders = [order(n) for n in range(100, 120)]
    for sales_order in orders:
        await two.erp.post_sales_order(sales_order)
    for sales_order in orders:
        expected = "quickbooks" if bucket(sales_order.order_id) < 30 else "erp"
        assert await two.holders(sales_order.order_id) == [expected]
    assert {bucket(o.order_id) < 30 for o in orders} == {True, False}  # both sides were exercised


async def test_switching_the_primary_under_concurrent_orders_never_posts_one_twice(two: TwoErps) -> None:
    orders = [order(n) for n in range(200, 260)]

    # Eight posts in flight at a time, and each switch waits for a count of them to finish (not for
    # the clock), so the primary moves while posts are in flight on a slow machine as on a fast one.
    # Posts not yet started wait for the switch to be stored (those in flight go on): on a loaded
    # machine the switch's own write could otherwise land after every post (one full run saw that).
    gate, progressed, done = asyncio.Semaphore(8), asyncio.Condition(), [0]
    switches = ((10, QBO), (25, "erp"), (40, QBO))
    flowing = asyncio.Event()
    flowing.set()

    async def post(sales_order):  # noqa: ANN001, ANN202
        async with gate:
            await flowing.wait()
            posted = await two.erp.post_sales_order(sales_order)
        async with progressed:
            done[0] += 1
            if any(done[0] == after for after, _ in switches):
                flowing.clear()
            progressed.notify_all()
        return posted

    async def switch_back_and_forth() -> None:
        for after, target in switches:
            async with progressed:
                await progressed.wait_for(lambda after=after: done[0] >= after)
            await two.book.switch(target)
            flowing.set()

    first = await asyncio.gather(switch_back_and_forth(), *(post(o) for o in orders))
    # Every order redelivered (the outbox's at-least-once) after the primary moved again, and
    # again with the rules sending everything to the other side: the owner holds.
    await two.book.switch("erp")
    await asyncio.gather(*(post(o) for o in orders))
    await two.restart(rules=(RoutingRule(percent=100, connection=QBO),))
    again = await asyncio.gather(*(post(o) for o in orders))

    holders = {o.order_id: await two.holders(o.order_id) for o in orders}
    assert all(len(h) == 1 for h in holders.values()), {k: v for k, v in holders.items() if len(v) != 1}
    assert {h[0] for h in holders.values()} == {"erp", "quickbooks"}  # the switch took effect mid-run
    assert [r.erp_order_number for r in first[1:]] == [r.erp_order_number for r in again]


async def test_an_order_the_other_erp_already_holds_stays_there(two: TwoErps) -> None:
    """Posted before the routing began (straight to CloudERP), its rule now says QuickBooks."""
    held = order(300, customer="CUST-BOLT")
    await two.adapters["erp"].post_sales_order(held)
    await two.restart(rules=(RoutingRule(customer="CUST-BOLT", connection=QBO),))
    await two.erp.post_sales_order(held)
    assert await two.holders(held.order_id) == ["erp"]
    assert (await two.erp.find_sales_order(held.order_id)).order_id == held.order_id


async def test_the_other_erp_down_delays_only_orders_older_than_the_routing(two: TwoErps) -> None:
    await two.put("/sandbox/quickbooks/faults", {"outage": True})
    old = order(400, created_at=datetime.now(UTC) - timedelta(days=1))
    with pytest.raises(BackendUnavailable):
        await two.erp.post_sales_order(old)
    assert await two.book.owner(old.order_id) is None  # not decided: retried later

    new = order(401)
    await two.erp.post_sales_order(new)
    assert await two.holders(new.order_id) == ["erp"]


async def test_a_credit_memo_goes_to_its_orders_erp_and_is_voided_there(two: TwoErps) -> None:
    await two.restart(rules=(RoutingRule(customer="CUST-BOLT", connection=QBO),))
    sales_order = order(500, customer="CUST-BOLT")
    ref = await two.erp.post_sales_order(sales_order)
    await two.book.switch("erp")
    memo = CreditMemoRequest(rma_id="rma_route_500", order_id=sales_order.order_id,
                             erp_order_number=ref.erp_order_number, customer_id="CUST-BOLT", currency="USD",
                             lines=sales_order.lines, amount=sales_order.total)
    made = await two.erp.create_credit_memo(memo)
    assert await two.book.owner(f"memo:{made.credit_memo_id}") == QBO
    await two.erp.void_credit_memo(made.credit_memo_id)
    response = await two.control.get("/sandbox/quickbooks/credit-memos", params={"external_ref": "rma_route_500"})
    assert [m["status"] for m in response.json()["items"]] == ["void"]
    response = await two.control.get("/sandbox/erp/credit-memos", params={"external_ref": "rma_route_500"})
    assert response.json()["items"] == []


def test_bucket_is_stable_and_spread() -> None:
    assert bucket("ord_1") == bucket("ord_1")
    shares = [bucket(f"ord_{n}") < 50 for n in range(2000)]
    assert 0.45 < sum(shares) / len(shares) < 0.55

