"""Fake ERP, WMS, payment provider and Shopify for the return process: idempotent like the real
ones, with switches for outages, refusals, lost answers and a refund that hangs."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from shared.errors import BackendError, BackendUnavailable, NotFound
from shared.models import (
    ContractPrices,
    CreditMemoRef,
    CreditMemoRequest,
    Customer,
    ExpectedReceipt,
    FulfilmentLine,
    Item,
    Refund,
)


class FakeErp:
    def __init__(self) -> None:
        self.items: dict[str, Item] = {}
        self.memos: dict[str, dict] = {}
        """rma id -> {"id", "amount", "status"}: one memo per RMA, as the ERP keys it."""
        self.down = False
        self.calls: list[str] = []

    async def get_item(self, sku: str) -> Item:
        self._check()
        if sku not in self.items:
            raise NotFound(code="unknown_sku")
        return self.items[sku]

    async def get_customer(self, customer_id: str) -> Customer:
        raise NotFound(code="unknown_customer")

    async def get_contract_prices(self, customer_id: str) -> ContractPrices:
        return ContractPrices(customer_id=customer_id)

    async def create_credit_memo(self, memo: CreditMemoRequest) -> CreditMemoRef:
        self.calls.append("create_credit_memo")
        self._check()
        if memo.rma_id not in self.memos:
            self.memos[memo.rma_id] = {"id": f"CM-{len(self.memos) + 1}", "amount": memo.amount, "status": "open",
                                       "lines": memo.lines, "order": memo.erp_order_number}
        return CreditMemoRef(credit_memo_id=self.memos[memo.rma_id]["id"])

    async def void_credit_memo(self, credit_memo_id: str) -> None:
        self.calls.append("void_credit_memo")
        self._check()
        for memo in self.memos.values():
            if memo["id"] == credit_memo_id:
                memo["status"] = "void"
                return
        raise NotFound(code="unknown_credit_memo")

    def _check(self) -> None:
        if self.down:
            raise BackendUnavailable("ERP down", backend="erp")


class FakeWms:
    def __init__(self) -> None:
        self.receipts: dict[str, dict] = {}
        self.inspections: dict[str, tuple[str, str, int, str]] = {}
        self.down = False

    async def expect_receipt(self, receipt: ExpectedReceipt) -> None:
        self._check()
        found = self.receipts.setdefault(receipt.rma_id, {"status": "expected", "lines": receipt.lines})
        if found["status"] == "cancelled":
            raise BackendError("cancelled", backend="wms", code="receipt_cancelled")

    async def cancel_receipt(self, rma_id: str) -> None:
        self._check()
        if rma_id in self.receipts and self.receipts[rma_id]["status"] != "received":
            self.receipts[rma_id]["status"] = "cancelled"

    async def record_inspection(self, rma_id: str, sku: str, quantity: int, result: str, idempotency_key: str) -> None:
        self._check()
        self.inspections.setdefault(idempotency_key, (rma_id, sku, quantity, result))

    def _check(self) -> None:
        if self.down:
            raise BackendUnavailable("WMS down", backend="wms")


class FakePayments:
    def __init__(self) -> None:
        self.refunds: dict[str, Refund] = {}
        """idempotency key -> the one refund it made."""
        self.down = False
        self.refuse: str | None = None
        self.fail_next = 0
        self.lose_next = 0
        self.hang = False
        self.calls = 0
        self.started = asyncio.Event()

    async def get_authorization(self, authorization_id: str):  # noqa: ANN201
        raise NotImplementedError

    async def refund(self, authorization_id: str, amount: Decimal, currency: str, idempotency_key: str) -> Refund:
        self.calls += 1
        self.started.set()
        if self.hang:
            await asyncio.Event().wait()  # until the worker is stopped (cancelled)
        if self.down or self.fail_next > 0:
            self.fail_next = max(0, self.fail_next - 1)
            raise BackendUnavailable("payments down", backend="payments")
        if self.refuse:
            raise BackendError("refused", backend="payments", code=self.refuse)
        refund = self.refunds.setdefault(idempotency_key, Refund(
            refund_id=f"re_{len(self.refunds) + 1}", authorization_id=authorization_id, amount=amount,
            currency=currency, status="succeeded"))
        if self.lose_next > 0:
            self.lose_next -= 1
            raise BackendUnavailable("the answer was lost", backend="payments")
        return refund


class FakeShopify:
    """Refunds on Shopify orders, one per RMA (as the adapter finds a refund by its note)."""

    def __init__(self) -> None:
        self.refunds: dict[str, tuple[str, Refund, list[FulfilmentLine]]] = {}
        """rma id -> (Shopify order id, the refund, its lines)."""
        self.down = False
        self.refuse: str | None = None
        self.calls = 0

    async def create_fulfilment(self, *args: object, **kwargs: object) -> None:
        raise NotImplementedError

    async def set_inventory(self, sku: str, location: str, available: int) -> None:
        raise NotImplementedError

    async def refund(self, shopify_order_id: str, lines: list[FulfilmentLine], amount: Decimal, currency: str,
                     rma_id: str) -> Refund:
        self.calls += 1
        if self.down:
            raise BackendUnavailable("Shopify down", backend="shopify")
        if self.refuse:
            raise BackendError("refused", backend="shopify", code=self.refuse)
        if rma_id not in self.refunds:
            refund = Refund(refund_id=str(8_000_000_001 + len(self.refunds)),
                            authorization_id=f"shopify:{shopify_order_id}", amount=amount, currency=currency,
                            status="succeeded")
            self.refunds[rma_id] = (shopify_order_id, refund, list(lines))
        return self.refunds[rma_id][1]
