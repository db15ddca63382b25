"""The return-saga adapters (ERP credit memos, payments, WMS expected receipts) against the real sandbox."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from shared.errors import BackendError, NotFound
from shared.models import (
    CreditMemoRef,
    CreditMemoRequest,
    ExpectedReceipt,
    FulfilmentLine,
    OrderLine,
    PaymentAuthorization,
    ReceiptLine,
    ReturnReceived,
)
from system_apis.wms.events import parse_wms_event
from tests.system_apis.sandbox_ports import SandboxPorts

MEMO = CreditMemoRequest(
    rma_id="rma_01",
    order_id="ord_01",
    customer_id="CUST-ACME",
    currency="USD",
    lines=(OrderLine(sku="SKU-1001", quantity=1, unit_price=Decimal("99.00"), extended_price=Decimal("99.00")),),
    amount=Decimal("99"),
)
RECEIPT = ExpectedReceipt(
    rma_id="rma_01",
    order_id="ord_01",
    lines=(ReceiptLine(sku="SKU-1001", quantity=1, disposition="restock"),
           ReceiptLine(sku="SKU-1003", quantity=2, disposition="inspect")),
)


async def test_credit_memo_is_created_once_and_voided_idempotently(ports: SandboxPorts) -> None:
    ports.transport.lose = 1

    ref = await ports.erp.create_credit_memo(MEMO)
    again = await ports.erp.create_credit_memo(MEMO)
    await ports.erp.void_credit_memo(ref.credit_memo_id)
    await ports.erp.void_credit_memo(ref.credit_memo_id)

    assert ref == again == CreditMemoRef(credit_memo_id="CM-100001")
    assert {p.headers["Idempotency-Key"] for p in ports.transport.posts[:3]} == {"rma_01"}
    (memo,) = await ports.view("/sandbox/erp/credit-memos", external_ref="rma_01")
    assert (memo["status"], memo["amount"], memo["order_ref"], memo["customer_id"]) == ("void", "99.00", "ord_01", "CUST-ACME")


async def test_a_credit_memo_names_its_sales_order(ports: SandboxPorts) -> None:
    memo = msgspec.structs.replace(MEMO, erp_order_number="SO-404")

    with pytest.raises(BackendError):
        await ports.erp.create_credit_memo(memo)
    assert await ports.view("/sandbox/erp/credit-memos") == []


async def test_voiding_an_unknown_memo_is_not_found(ports: SandboxPorts) -> None:
    with pytest.raises(NotFound) as caught:
        await ports.erp.void_credit_memo("CM-999999")

    assert caught.value.code == "unknown_credit_memo"


async def test_the_seeded_authorization_and_an_unknown_one(ports: SandboxPorts) -> None:
    auth = await ports.payments.get_authorization("pay_auth_123")

    assert auth == PaymentAuthorization(authorization_id="pay_auth_123", amount=Decimal("10000.00"), currency="USD",
                                        status="authorized")
    with pytest.raises(NotFound) as caught:
        await ports.payments.get_authorization("pay_auth_nope")
    assert caught.value.code == "unknown_authorization"


async def test_a_refund_retried_after_a_lost_answer_refunds_once(ports: SandboxPorts) -> None:
    ports.transport.lose = 2

    refund = await ports.payments.refund("pay_auth_123", Decimal("198"), "USD", "rma_01")
    again = await ports.payments.refund("pay_auth_123", Decimal("198"), "USD", "rma_01")

    assert refund == again
    assert (refund.amount, refund.currency, refund.status, refund.authorization_id) == (
        Decimal("198.00"), "USD", "succeeded", "pay_auth_123")
    refunds = await ports.view("/sandbox/payments/refunds", authorization_id="pay_auth_123")
    assert [(r["refund_id"], r["amount"]) for r in refunds] == [(refund.refund_id, "198.00")]


async def test_a_refund_beyond_the_authorization_is_refused_for_good(ports: SandboxPorts) -> None:
    with pytest.raises(BackendError) as caught:
        await ports.payments.refund("pay_auth_123", Decimal("10000.01"), "USD", "rma_big")

    assert type(caught.value) is BackendError and caught.value.code == "amount_too_large"
    assert len(ports.transport.posts) == 1
    with pytest.raises(NotFound) as unknown:
        await ports.payments.refund("pay_auth_nope", Decimal("1"), "USD", "rma_x")
    assert unknown.value.code == "unknown_authorization"


async def test_expected_receipt_is_received_and_parses(ports: SandboxPorts) -> None:
    ports.transport.lose = 1
    await ports.fulfilment.expect_receipt(RECEIPT)
    await ports.fulfilment.expect_receipt(RECEIPT)

    received = await ports.control.post("/sandbox/wms/receive", json={"rma_id": "rma_01"})

    assert received.status_code == 200
    outbox = ports.app.state.sandbox.backends["wms"].announcer.outbox
    events = [parse_wms_event(msgspec.json.encode(e)) for e in outbox]
    assert events[-1] == ReturnReceived(rma_id="rma_01", lines=(FulfilmentLine(sku="SKU-1001", quantity=1),
                                                                FulfilmentLine(sku="SKU-1003", quantity=2)))
    assert [(e.sku, e.location, e.on_hand) for e in events[:-1]] == [("SKU-1001", "DC-EAST", 41)]


async def test_cancelling_a_receipt_is_idempotent_and_final(ports: SandboxPorts) -> None:
    await ports.fulfilment.expect_receipt(RECEIPT)

    await ports.fulfilment.cancel_receipt("rma_01")
    await ports.fulfilment.cancel_receipt("rma_01")
    await ports.fulfilment.cancel_receipt("rma_never_expected")
    receive = await ports.control.post("/sandbox/wms/receive", json={"rma_id": "rma_01"})

    assert receive.status_code == 404
    with pytest.raises(BackendError) as caught:
        await ports.fulfilment.expect_receipt(RECEIPT)
    assert caught.value.code == "receipt_cancelled"
