"""The order-lifecycle adapters (ERP sales orders, WMS release) against the real sandbox, in process."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import msgspec
import pytest

from shared.errors import BackendError, BackendUnavailable
from shared.models import (Address, ErpOrderRef, FulfilmentLine, FulfilmentRef, FulfilmentRequest, OrderLine, SalesOrder,
                           SalesOrderRecord)
from system_apis.wms.events import parse_wms_event
from tests.system_apis.sandbox_ports import SandboxPorts

SHIP_TO = Address(name="Acme Receiving", line1="1 Main St", city="Springfield", region="IL", postal_code="62701",
                  country="US")
ORDER = SalesOrder(
    order_id="ord_01",
    channel="storefront",
    channel_order_ref="WEB-5531",
    customer_id="CUST-ACME",
    currency="USD",
    lines=(
        OrderLine(sku="SKU-1001", quantity=2, unit_price=Decimal("99.00"), extended_price=Decimal("198.00")),
        OrderLine(sku="SKU-1002", quantity=1, unit_price=Decimal("24.5"), extended_price=Decimal("24.5")),
    ),
    total=Decimal("222.5"),
    ship_to=SHIP_TO,
    created_at=datetime(2026, 11, 22, 10, 0, tzinfo=UTC),
)


async def test_post_sales_order_books_it_with_every_field(ports: SandboxPorts) -> None:
    ref = await ports.erp.post_sales_order(ORDER)

    assert ref == ErpOrderRef(erp_order_number="SO-100001")
    (booked,) = await ports.view("/sandbox/erp/sales-orders", external_ref="ord_01")
    assert booked["erp_order_number"] == "SO-100001" and booked["channel_order_ref"] == "WEB-5531"
    assert (booked["customer_id"], booked["total"], booked["currency"]) == ("CUST-ACME", "222.50", "USD")
    assert booked["lines"] == [{"sku": "SKU-1001", "quantity": 2, "unit_price": "99.00"},
                               {"sku": "SKU-1002", "quantity": 1, "unit_price": "24.50"}]
    (post,) = ports.transport.posts
    assert post.headers["Idempotency-Key"] == "ord_01"
    detail = (await ports.control.get("/sandbox/erp/api/v1/salesOrders/SO-100001")).json()
    assert detail["shipTo"] == {"addressee": "Acme Receiving", "addr1": "1 Main St", "addr2": "", "city": "Springfield",
                                "state": "IL", "zip": "62701", "country": "US"}
    assert detail["orderDate"] == "2026-11-22T10:00:00Z"


async def test_a_post_whose_answer_was_lost_is_retried_and_books_exactly_one(ports: SandboxPorts) -> None:
    ports.transport.lose = 2

    ref = await ports.erp.post_sales_order(ORDER)

    assert ref.erp_order_number == "SO-100001"
    assert len(ports.transport.posts) == 3
    assert {p.headers["Idempotency-Key"] for p in ports.transport.posts} == {"ord_01"}
    assert len(await ports.view("/sandbox/erp/sales-orders", external_ref="ord_01")) == 1


async def test_a_post_retried_after_an_outage_books_exactly_one(ports: SandboxPorts) -> None:
    await ports.erp.post_sales_order(ORDER)
    await ports.control.put("/sandbox/erp/faults", json={"outage": True})
    with pytest.raises(BackendUnavailable):
        await ports.erp.post_sales_order(ORDER)
    await ports.control.delete("/sandbox/erp/faults")

    again = await ports.erp.post_sales_order(ORDER)

    assert again.erp_order_number == "SO-100001"
    assert len(await ports.view("/sandbox/erp/sales-orders")) == 1


async def test_an_order_the_erp_refuses_is_a_permanent_error(ports: SandboxPorts) -> None:
    unknown_item = OrderLine(sku="SKU-9999", quantity=1, unit_price=Decimal("1.00"), extended_price=Decimal("1.00"))
    bad = msgspec.structs.replace(ORDER, order_id="ord_02", lines=(unknown_item,), total=Decimal("1.00"))

    with pytest.raises(BackendError) as caught:
        await ports.erp.post_sales_order(bad)

    assert type(caught.value) is BackendError and "SKU-9999" not in caught.value.detail
    assert len(ports.transport.posts) == 1
    assert await ports.view("/sandbox/erp/sales-orders") == []


async def test_a_guest_order_without_customer_or_address(ports: SandboxPorts) -> None:
    guest = SalesOrder(order_id="ord_03", channel="shopify", channel_order_ref="5000000001", currency="USD",
                       lines=ORDER.lines[:1], total=Decimal("198.00"), created_at=ORDER.created_at)

    await ports.erp.post_sales_order(guest)

    (booked,) = await ports.view("/sandbox/erp/sales-orders", channel_order_ref="5000000001")
    assert (booked["external_ref"], booked["customer_id"], booked["channel"]) == ("ord_03", None, "shopify")


async def test_release_is_idempotent_and_the_shipment_parses(ports: SandboxPorts) -> None:
    request = FulfilmentRequest(order_id="ord_01", lines=(FulfilmentLine(sku="SKU-1001", quantity=2),), ship_to=SHIP_TO)
    ports.transport.lose = 1

    ref = await ports.fulfilment.release(request)
    again = await ports.fulfilment.release(request)
    shipped = await ports.control.post("/sandbox/wms/ship", json={"order_id": "ord_01"})

    assert ref == again == FulfilmentRef(fulfilment_id="FR-100001")
    assert {p.headers["Idempotency-Key"] for p in ports.transport.posts} == {"ord_01"}
    assert shipped.status_code == 200
    outbox = ports.app.state.sandbox.backends["wms"].announcer.outbox
    confirmed = parse_wms_event(msgspec.json.encode(outbox[-1]))
    assert confirmed.order_id == "ord_01" and confirmed.lines == request.lines
    assert confirmed.shipment_id == shipped.json()["shipment_id"]
    assert confirmed.tracking_number == shipped.json()["tracking_number"]


async def test_find_sales_order_by_external_reference(ports: SandboxPorts) -> None:
    assert await ports.erp.find_sales_order("ord_01") is None
    await ports.erp.post_sales_order(ORDER)

    found = await ports.erp.find_sales_order("ord_01")

    assert found == SalesOrderRecord(order_id="ord_01", erp_order_number="SO-100001", total=Decimal("222.50"),
                                     currency="USD", status="open")
    assert await ports.erp.find_sales_order("ord_02") is None
    search = await ports.control.get("/sandbox/erp/api/v1/salesOrders", params={"externalRef": "ord_01"})
    assert search.json()["count"] == 1 and search.json()["items"][0]["salesOrderId"] == "SO-100001"
    assert (await ports.control.get("/sandbox/erp/api/v1/salesOrders")).status_code == 400  # externalRef required
