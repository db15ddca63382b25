"""Inbound vendor events and webhooks -> canonical: signature checks and parsing, good and malformed."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import msgspec
import pytest

from shared.models import (
    Address,
    ChannelOrder,
    ChannelOrderLine,
    ErpRecordChanged,
    FulfilmentLine,
    ReturnReceived,
    ShipmentConfirmed,
    StockChanged,
)
from system_apis.erp.events import parse_erp_event
from system_apis.pos.events import parse_pos_event
from system_apis.sandbox.app import create_sandbox_app
from system_apis.sandbox.config import SandboxConfig
from system_apis.shopify.webhooks import parse_order, verify_shopify_hmac
from system_apis.wms.events import parse_wms_event

SECRET = "sandbox-shopify-secret"
SHIPMENT = {"event_id": "wms-evt-1", "event_type": "shipment.confirmed", "occurred_at": "2026-11-22T10:00:05Z",
            "payload": {"order_ref": "ord_01", "shipment_id": "SHP-100001", "carrier": "UPS", "tracking_number": "1ZABC",
                        "shipped_at": "2026-11-22T10:00:00Z", "lines": [{"item_code": "SKU-1001", "quantity": 2}]}}
ADJUSTED = {"event_id": "wms-evt-2", "event_type": "inventory.adjusted", "occurred_at": "2026-11-22T10:00:00Z",
            "payload": {"item_code": "SKU-1001", "warehouse_id": "DC-EAST", "on_hand": 38, "available": 36, "sequence": 7}}
RETURNED = {"event_id": "wms-evt-3", "event_type": "return.received", "occurred_at": "2026-11-22T10:00:00Z",
            "payload": {"rma_ref": "rma_01", "order_ref": "ord_01", "lines": [
                {"item_code": "SKU-1001", "quantity": 1, "disposition": "restock"},
                {"item_code": "SKU-1003", "quantity": 2, "disposition": "scrap"}]}}
POS = {"id": "pos-evt-1", "type": "STOCK_CHANGE", "timestamp": "2026-11-22T10:00:00Z", "storeCode": "STORE-NYC",
       "productSku": "SKU-1002", "quantity": 4, "seq": 3}
ERP = {"eventId": "erp-evt-1", "eventType": "item.price.changed", "occurredAt": "2026-11-22T10:00:00Z",
       "record": {"itemId": "SKU-1003", "basePrice": "9.25", "currencyCode": "USD"}}
MALFORMED = [b"{not json", b"[]", b"{}", b'{"event_type": "shipment.confirmed"}']


def encode(body: dict) -> bytes:
    return msgspec.json.encode(body)


def test_wms_events_parse_to_their_canonical_kind() -> None:
    assert parse_wms_event(encode(SHIPMENT)) == ShipmentConfirmed(
        shipment_id="SHP-100001", order_id="ord_01", carrier="UPS", tracking_number="1ZABC",
        shipped_at=datetime(2026, 11, 22, 10, 0, tzinfo=UTC), lines=(FulfilmentLine(sku="SKU-1001", quantity=2),))
    assert parse_wms_event(encode(ADJUSTED)) == StockChanged(
        sku="SKU-1001", location="DC-EAST", on_hand=38, available=36, sequence=7)
    assert parse_wms_event(encode(RETURNED)) == ReturnReceived(
        rma_id="rma_01", lines=(FulfilmentLine(sku="SKU-1001", quantity=1), FulfilmentLine(sku="SKU-1003", quantity=2)))


@pytest.mark.parametrize("body", [*MALFORMED, encode({**SHIPMENT, "event_type": "shipment.exploded"}),
                                  encode({**ADJUSTED, "payload": {"item_code": "SKU-1001"}}),
                                  encode({**SHIPMENT, "payload": {**SHIPMENT["payload"], "shipped_at": "yesterday"}})])
def test_malformed_wms_events_raise_decode_errors(body: bytes) -> None:
    with pytest.raises(msgspec.DecodeError):
        parse_wms_event(body)


def test_pos_and_erp_events_parse() -> None:
    assert parse_pos_event(encode(POS)) == StockChanged(sku="SKU-1002", location="STORE-NYC", on_hand=4, available=4,
                                                         sequence=3)
    assert parse_erp_event(encode(ERP)) == ErpRecordChanged(kind="item", key="SKU-1003")


@pytest.mark.parametrize(("event_type", "kind"), [("customer.updated", "customer"),
                                                  ("customer.itemPrices.updated", "contract")])
def test_erp_customer_events_name_the_record_that_changed(event_type: str, kind: str) -> None:
    body = {**ERP, "eventType": event_type, "record": {"customerId": "CUST-ACME"}}
    assert parse_erp_event(encode(body)) == ErpRecordChanged(kind=kind, key="CUST-ACME")


@pytest.mark.parametrize("body", [*MALFORMED, encode({**POS, "type": "SALE"}), encode({**POS, "quantity": "4"})])
def test_malformed_pos_events_raise_decode_errors(body: bytes) -> None:
    with pytest.raises(msgspec.DecodeError):
        parse_pos_event(body)


@pytest.mark.parametrize("body", [*MALFORMED, encode({**ERP, "eventType": "item.deleted"}), encode({**ERP, "record": {}}),
                                  encode({**ERP, "eventType": "customer.updated"}), encode({"record": {}})])
def test_malformed_erp_events_raise_decode_errors(body: bytes) -> None:
    with pytest.raises(msgspec.DecodeError):
        parse_erp_event(body)


def shopify_hmac(secret: str, body: bytes) -> bytes:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())


def test_a_shopify_hmac_is_verified_over_the_raw_body() -> None:
    body = b'{"id": 1}'
    good = shopify_hmac(SECRET, body)

    assert verify_shopify_hmac(SECRET, body, good)
    assert verify_shopify_hmac(SECRET, body, b" " + good + b" ")
    assert not verify_shopify_hmac(SECRET, body + b" ", good)
    assert not verify_shopify_hmac("another-secret", body, good)
    assert not verify_shopify_hmac(SECRET, body, good.lower())
    assert not verify_shopify_hmac(SECRET, body, b"")
    assert not verify_shopify_hmac(SECRET, body, None)
    assert not verify_shopify_hmac(SECRET, body, hashlib.sha256(body).hexdigest().encode())


async def test_an_orders_create_webhook_from_the_sandbox_verifies_and_parses() -> None:
    received: list[httpx.Request] = []

    def hub(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(200)

    config = SandboxConfig(event_urls={"shopify": "http://hub/hooks/shopify"}, autoship_seconds=0)
    app = create_sandbox_app(config, transport=httpx.MockTransport(hub))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://sandbox") as client:
        created = (await client.post("/sandbox/shopify/orders", json={
            "line_items": [{"sku": "SKU-1001", "quantity": 2, "price": "99.00"},
                           {"sku": "SKU-1003", "quantity": 3, "price": "8.75"}],
            "email": "pat@example.com",
            "shipping_address": {"first_name": "Pat", "last_name": "Lee", "address1": "9 Elm St", "city": "Portland",
                                 "province_code": "OR", "zip": "97201", "country_code": "US"}})).json()
        await app.state.sandbox.delivery.drain()
    await app.state.sandbox.aclose()

    (webhook,) = received
    assert verify_shopify_hmac(SECRET, webhook.content, webhook.headers["X-Shopify-Hmac-Sha256"].encode())
    order = parse_order(webhook.content, webhook.headers["X-Shopify-Shop-Domain"])
    assert order == ChannelOrder(
        channel="shopify",
        channel_order_ref=str(created["order"]["id"]),
        currency="USD",
        lines=(ChannelOrderLine(sku="SKU-1001", quantity=2, unit_price=Decimal("99.00")),
               ChannelOrderLine(sku="SKU-1003", quantity=3, unit_price=Decimal("8.75"))),
        total=Decimal("224.25"),
        ship_to=Address(name="Pat Lee", line1="9 Elm St", city="Portland", region="OR", postal_code="97201",
                        country="US"),
        email="pat@example.com",
        shop="sandbox-shop.myshopify.com",
    )


ORDER = {"id": 820982911946154508, "currency": "USD", "total_price": "10.00", "email": None,
         "line_items": [{"id": 1, "sku": "SKU-1003", "quantity": 1, "price": "10.00", "title": "Glasses"}]}


def test_an_order_without_a_usable_address_has_no_ship_to() -> None:
    bare = parse_order(encode(ORDER), None)
    partial = parse_order(encode({**ORDER, "shipping_address": {"first_name": "Pat", "city": "Portland"}}), None)

    assert bare.channel_order_ref == "820982911946154508" and bare.ship_to is None and bare.shop is None
    assert partial.ship_to is None


@pytest.mark.parametrize("body", [
    *MALFORMED,
    encode({**ORDER, "line_items": [{"sku": None, "quantity": 1, "price": "10.00"}]}),
    encode({**ORDER, "line_items": [{"sku": "", "quantity": 1, "price": "10.00"}]}),
    encode({**ORDER, "line_items": []}),
    encode({**ORDER, "total_price": "ten"}),
    encode({**ORDER, "id": "abc"}),
])
def test_malformed_orders_raise_decode_errors(body: bytes) -> None:
    with pytest.raises(msgspec.DecodeError):
        parse_order(body, "sandbox-shop.myshopify.com")
