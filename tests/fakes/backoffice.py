"""The fulfilment (a WMS, and a 3PL whose shipments and return receipts are polled), payments and channel-platform
fakes: idempotent like the real ones, with switches for outages, refusals, lost answers and a
refund that hangs."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

from shared.errors import BackendError, BackendUnavailable, NotFound
from shared.models import (
    ExpectedReceipt, FulfilmentLine, FulfilmentRef, FulfilmentRequest, Refund, ReturnReceived, ShipmentConfirmed,
)


class FakeFulfilment:
    def __init__(self) -> None:
        self.releases: dict[str, FulfilmentRequest] = {}
        """order id -> the release asked for: one per order, as the WMS keys it."""
        self.receipts: dict[str, dict] = {}
        self.inspections: dict[str, tuple[str, str, int, str]] = {}
        self.down = False
        self.release_calls: list[str] = []
        """Every release asked for, by order id (a redelivery that calls again shows here twice)."""

    async def release(self, request: FulfilmentRequest) -> FulfilmentRef:
        self.release_calls.append(request.order_id)
        self._check()
        self.releases.setdefault(request.order_id, request)
        return FulfilmentRef(fulfilment_id=f"FUL-{list(self.releases).index(request.order_id) + 1}")

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


class FakeShippingFulfilment(FakeFulfilment):
    """A fulfilment connection whose shipments and return receipts are polled (a 3PL): ``ship``
    makes a shipment, ``receive`` completes an expected return."""

    def __init__(self, prefix: str = "TPL") -> None:
        super().__init__()
        self.prefix = prefix
        self.shipped: dict[str, list[ShipmentConfirmed]] = {}
        self.polls: list[str] = []
        self.receipt_polls: list[list[str]] = []

    def ship(self, order_id: str) -> ShipmentConfirmed:
        request = self.releases[order_id]
        n = sum(len(s) for s in self.shipped.values()) + 1
        shipment = ShipmentConfirmed(shipment_id=f"{self.prefix}-SHP-{n}", order_id=order_id, carrier="USPS",
                                     tracking_number=f"{self.prefix}-9400{n:08d}", shipped_at=datetime.now(UTC),
                                     lines=request.lines)
        self.shipped.setdefault(order_id, []).append(shipment)
        return shipment

    async def shipments(self, order_id: str) -> list[ShipmentConfirmed]:
        self.polls.append(order_id)
        self._check()
        if order_id not in self.releases:
            raise NotFound(f"no order {order_id}")
        return list(self.shipped.get(order_id, []))

    def receive(self, rma_id: str) -> None:
        self.receipts[rma_id]["status"] = "received"

    async def received_returns(self, rma_ids: list[str]) -> list[ReturnReceived]:
        self.receipt_polls.append(list(rma_ids))
        self._check()
        return [ReturnReceived(rma_id=rma_id, lines=tuple(FulfilmentLine(sku=l.sku, quantity=l.quantity)
                                                           for l in self.receipts[rma_id]["lines"]))
                for rma_id in rma_ids if self.receipts.get(rma_id, {}).get("status") == "received"]


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


class FakeChannelPlatform:
    """Refunds on a platform's orders, one per RMA (as an adapter finds its refund by the RMA id)."""

    def __init__(self) -> None:
        self.refunds: dict[str, tuple[str, Refund, list[FulfilmentLine]]] = {}
        """rma id -> (the platform's order id, the refund, its lines)."""
        self.down = False
        self.refuse: str | None = None
        self.calls = 0
        self.pending = False
        """Refunds answer ``pending`` (settled later, as an Amazon adjustment feed)."""
        self.outcome = "succeeded"
        """What ``refund_outcome`` answers: ``pending``, ``succeeded``, or ``failed`` (``channel_refund_failed``)."""
        self.checks = 0

    async def create_fulfilment(self, *args: object, **kwargs: object) -> None:
        raise NotImplementedError

    async def set_inventory(self, sku: str, location: str, available: int) -> None:
        raise NotImplementedError

    async def refund(self, channel_order_ref: str, lines: list[FulfilmentLine], amount: Decimal, currency: str,
                     rma_id: str) -> Refund:
        self.calls += 1
        if self.down:
            raise BackendUnavailable("channel platform down", backend="shopify")
        if self.refuse:
            raise BackendError("refused", backend="shopify", code=self.refuse)
        if rma_id not in self.refunds:
            refund = Refund(refund_id=str(8_000_000_001 + len(self.refunds)),
                            authorization_id=f"shopify:{channel_order_ref}", amount=amount, currency=currency,
                            status="pending" if self.pending else "succeeded")
            self.refunds[rma_id] = (channel_order_ref, refund, list(lines))
        return self.refunds[rma_id][1]

    async def refund_outcome(self, channel_order_ref: str, refund_id: str) -> str:
        self.checks += 1
        if self.outcome == "failed":
            raise BackendError("the platform rejected the refund", backend="shopify", code="channel_refund_failed")
        return self.outcome
