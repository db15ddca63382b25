"""The write adapters over vendor-shaped JSON served by a MockTransport: bodies, keys, error mapping."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import httpx
import msgspec
import pytest

from shared.errors import BackendError, BackendThrottled, BackendUnavailable
from shared.models import (
    CreditMemoRequest,
    ExpectedReceipt,
    FulfilmentLine,
    FulfilmentRequest,
    OrderLine,
    ReceiptLine,
    SalesOrder,
)
from system_apis.erp import client as erp
from system_apis.payments import client as payments
from system_apis.wms import client as wms
from system_apis.wms.fulfilment_client import WmsFulfilmentAdapter

LINE = OrderLine(sku="SKU-1001", quantity=2, unit_price=Decimal("99"), extended_price=Decimal("198"))
ORDER = SalesOrder(order_id="ord_01", channel="partner", channel_order_ref="PO-7", customer_id="CUST-ACME",
                   po_number="PO-7", currency="USD", lines=(LINE,), total=Decimal("198"),
                   created_at=datetime(2026, 11, 22, 10, 0, tzinfo=UTC))
BOOKED = {"salesOrderId": "SO-100007", "externalRef": "ord_01", "status": "OPEN", "total": "198.00"}


async def test_post_sales_order_sends_camel_case_money_strings_and_the_key(wire) -> None:
    w = wire("erp", erp.classify, httpx.Response(201, json=BOOKED))

    ref = await erp.ErpHttpAdapter(w.http).post_sales_order(ORDER)

    assert ref.erp_order_number == "SO-100007"
    (sent,) = w.requests
    assert (sent.method, sent.url.path) == ("POST", "/sandbox/erp/api/v1/salesOrders")
    assert sent.headers["Idempotency-Key"] == "ord_01"
    assert msgspec.json.decode(sent.content) == {
        "externalRef": "ord_01", "channel": "partner", "channelOrderRef": "PO-7", "customerId": "CUST-ACME",
        "poNumber": "PO-7", "currencyCode": "USD",
        "lines": [{"itemId": "SKU-1001", "quantity": 2, "unitPrice": "99.00"}],
        "total": "198.00", "shipTo": None, "orderDate": "2026-11-22T10:00:00Z"}


async def test_a_throttled_or_failing_post_is_retried_with_its_key(wire) -> None:
    limit = httpx.Response(400, headers={"Retry-After": "1"}, json={"error": {"code": "SSS_REQUEST_LIMIT_EXCEEDED"}})
    w = wire("erp", erp.classify, limit, httpx.Response(503), httpx.Response(200, json=BOOKED))

    ref = await erp.ErpHttpAdapter(w.http).post_sales_order(ORDER)

    assert ref.erp_order_number == "SO-100007" and len(w.requests) == 3
    assert {r.headers["Idempotency-Key"] for r in w.requests} == {"ord_01"}
    assert w.sleeps[0] >= 1.0


async def test_a_refused_post_is_permanent_and_not_retried(wire) -> None:
    w = wire("erp", erp.classify, httpx.Response(400, json={"error": {"code": "INVALID_KEY_OR_REF", "message": "x"}}))

    with pytest.raises(BackendError) as caught:
        await erp.ErpHttpAdapter(w.http).post_sales_order(ORDER)

    assert type(caught.value) is BackendError and len(w.requests) == 1


async def test_credit_memo_and_void_calls(wire) -> None:
    memo = CreditMemoRequest(rma_id="rma_01", order_id="ord_01", erp_order_number="SO-100007", currency="USD",
                             lines=(LINE,), amount=Decimal("198"))
    w = wire("erp", erp.classify,
             httpx.Response(201, json={"creditMemoId": "CM-100001", "externalRef": "rma_01", "status": "OPEN",
                                       "amount": "198.00"}),
             httpx.Response(200, json={"creditMemoId": "CM-100001", "externalRef": "rma_01", "status": "VOID",
                                       "amount": "198.00"}))
    adapter = erp.ErpHttpAdapter(w.http)

    ref = await adapter.create_credit_memo(memo)
    await adapter.void_credit_memo(ref.credit_memo_id)

    created, voided = w.requests
    assert created.headers["Idempotency-Key"] == "rma_01"
    assert msgspec.json.decode(created.content) == {
        "externalRef": "rma_01", "createdFrom": "SO-100007", "orderExternalRef": "ord_01", "customerId": None,
        "currencyCode": "USD", "amount": "198.00", "lines": [{"itemId": "SKU-1001", "quantity": 2, "unitPrice": "99.00"}]}
    assert voided.url.path == "/sandbox/erp/api/v1/creditMemos/CM-100001/void"
    assert voided.headers["Idempotency-Key"] == "void-CM-100001"


async def test_release_and_receipt_bodies(wire) -> None:
    w = wire("wms", wms.classify,
             httpx.Response(201, json={"request_id": "FR-1", "order_ref": "ord_01", "status": "released"}),
             httpx.Response(201, json={"receipt_id": "ER-1", "rma_ref": "rma_01", "status": "expected"}))
    adapter = WmsFulfilmentAdapter(w.http)

    ref = await adapter.release(FulfilmentRequest(order_id="ord_01", lines=(FulfilmentLine(sku="SKU-1001", quantity=2),)))
    await adapter.expect_receipt(ExpectedReceipt(rma_id="rma_01", order_id="ord_01",
                                                 lines=(ReceiptLine(sku="SKU-1001", quantity=1, disposition="inspect"),)))

    assert ref.fulfilment_id == "FR-1"
    released, expected = w.requests
    assert released.headers["Idempotency-Key"] == "ord_01"
    assert msgspec.json.decode(released.content) == {
        "order_ref": "ord_01", "lines": [{"item_code": "SKU-1001", "quantity": 2}], "ship_to": None}
    assert expected.headers["Idempotency-Key"] == "rma_01"
    assert msgspec.json.decode(expected.content) == {
        "rma_ref": "rma_01", "order_ref": "ord_01",
        "lines": [{"item_code": "SKU-1001", "quantity": 1, "disposition": "inspect"}]}


async def test_a_wms_throttle_on_release_is_retried_then_gives_up(wire) -> None:
    w = wire("wms", wms.classify, httpx.Response(429, headers={"Retry-After": "2"}, json={"errors": [{"code": "rate_limited"}]}))

    with pytest.raises(BackendThrottled):
        await WmsFulfilmentAdapter(w.http).release(FulfilmentRequest(order_id="ord_01", lines=()))

    assert len(w.requests) == 3


@pytest.mark.parametrize(
    ("response", "error", "code"),
    [
        (httpx.Response(400, json={"error": {"type": "invalid_request_error", "code": "amount_too_large"}}),
         BackendError, "amount_too_large"),
        (httpx.Response(400, json={"error": {"type": "idempotency_error", "code": "idempotency_key_in_use"}}),
         BackendError, "idempotency_key_in_use"),
        (httpx.Response(400, json={"error": {"type": "invalid_request_error", "code": "something_secret"}}),
         BackendError, "backend_error"),
        (httpx.Response(429, json={"error": {"type": "rate_limit_error", "code": "rate_limit"}}),
         BackendThrottled, "backend_throttled"),
        (httpx.Response(500, text="oops"), BackendUnavailable, "backend_unavailable"),
    ],
)
async def test_payments_refusals_keep_a_stable_code(wire, response: httpx.Response, error: type, code: str) -> None:
    w = wire("payments", payments.classify, response)

    with pytest.raises(error) as caught:
        await payments.PaymentsHttpAdapter(w.http).refund("pay_auth_123", Decimal("1"), "USD", "k")

    assert type(caught.value) is error and caught.value.code == code
    assert "secret" not in caught.value.detail
    assert msgspec.json.decode(w.requests[0].content) == {"authorization": "pay_auth_123", "amount": "1.00",
                                                          "currency": "USD"}
