"""The ``PaymentsPort`` and ``ChannelPlatformPort`` contracts: every adapter, against its sandbox."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shared.errors import NotFound
from shared.models import FulfilmentLine
from system_apis.channel.port import StorefrontLevel
from tests.system_apis.contracts.harness import UnderTest

pytestmark = pytest.mark.sandbox_only

DRILL = [FulfilmentLine(sku="SKU-1001", quantity=1)]


async def test_a_refund_is_made_once_per_key_against_an_authorization(payments: UnderTest) -> None:
    subject, payments = payments, payments.port

    assert (await payments.get_authorization("pay_auth_123")).amount == Decimal("10000.00")
    with pytest.raises(NotFound):
        await payments.get_authorization("pay_auth_nope")
    first = await payments.refund("pay_auth_123", Decimal("12.50"), "USD", idempotency_key="rma_c1")
    again = await payments.refund("pay_auth_123", Decimal("12.50"), "USD", idempotency_key="rma_c1")
    assert first == again and (first.amount, first.currency) == (Decimal("12.50"), "USD")
    assert len(await subject.view("refunds", authorization_id="pay_auth_123")) == 1


async def _platform_order(subject: UnderTest) -> str:
    made = await subject.control.post(f"/sandbox/{subject.backend}/orders", json={
        "line_items": [{"sku": "SKU-1001", "quantity": 2, "price": "129.00"}]})
    assert made.status_code == 201, made.text
    return str(made.json()["order"]["id"])


async def test_levels_set_are_the_levels_read(channel: UnderTest) -> None:
    platform = channel.port

    await platform.set_inventory("SKU-1001", "DC-EAST", 7)
    await platform.set_inventory_levels([StorefrontLevel(sku="SKU-1002", location="DC-WEST", available=4),
                                         StorefrontLevel(sku="SKU-1001", location="DC-WEST", available=0)])

    levels = {(lv.sku, lv.location): lv.available for lv in await platform.inventory_levels(["SKU-1001", "SKU-1002"])}
    assert levels == {("SKU-1001", "DC-EAST"): 7, ("SKU-1001", "DC-WEST"): 0, ("SKU-1002", "DC-WEST"): 4}


async def test_a_fulfilment_and_a_refund_are_made_once_on_a_platform_order(channel: UnderTest) -> None:
    subject, platform = channel, channel.port
    order = await _platform_order(subject)

    await platform.create_fulfilment(order, "1ZC", "UPS", DRILL, "ord_c1:SHP-1")
    await platform.create_fulfilment(order, "1ZC", "UPS", DRILL, "ord_c1:SHP-1")
    assert len(await subject.view("fulfillments", order_id=order)) == 1
    first = await platform.refund(order, DRILL, Decimal("129.00"), "USD", rma_id="rma_c1")
    assert await platform.refund(order, DRILL, Decimal("129.00"), "USD", rma_id="rma_c1") == first
    assert (first.amount, first.status) == (Decimal("129.00"), "succeeded")
    with pytest.raises(NotFound):
        await platform.create_fulfilment("42", "1Z", "UPS", DRILL, "other")
