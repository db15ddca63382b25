"""ShipWorks expected receipts: returns the warehouse is told to expect, and their receipt.

Expecting is idempotent on ``rma_ref`` (a repeat answers the first receipt,
whatever its status); cancelling is idempotent too (404 only for an
``rma_ref`` never expected). Receiving (the control ``POST
/sandbox/wms/receive``) puts ``restock`` lines back on hand, at the warehouse
the order shipped from (else the item's first warehouse, else ``DC-EAST``),
announcing ``inventory.adjusted``; ``inspect`` and ``scrap`` lines go to
quarantine, not to stock. Then it announces ``return.received``. Receiving a
received return changes nothing; a cancelled one cannot be received.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from typing import Protocol

import msgspec

from system_apis.sandbox.events import Announcer, new_event_id
from system_apis.sandbox.formats import rfc3339_now
from system_apis.sandbox.wms.schemas import (
    ExpectedReceipt,
    ExpectedReceiptIn,
    Inspection,
    InspectionIn,
    ReturnPayload,
    ReturnReceived,
    WmsInvalid,
    WmsNotFound,
)


class Dock(Protocol):
    announcer: Announcer

    def restock(self, order_ref: str, sku: str, quantity: int) -> None:
        """Put ``quantity`` of ``sku`` back on hand at a warehouse and announce it."""
        ...


class Receipts:
    """The expected receipts of one WMS."""

    def __init__(self, dock: Dock) -> None:
        self._dock = dock
        self.reset()

    def reset(self) -> None:
        self._receipts: dict[str, ExpectedReceipt] = {}
        self._ids = itertools.count(100001)
        self._inspections: dict[str, Inspection] = {}
        self._inspected: dict[tuple[str, str], int] = defaultdict(int)
        self._inspection_ids = itertools.count(100001)

    def expect(self, body: ExpectedReceiptIn) -> tuple[ExpectedReceipt, bool]:
        """The receipt expected for ``rma_ref`` before, else a new one; ``True`` when new."""
        existing = self._receipts.get(body.rma_ref)
        if existing is not None:
            return existing, False
        receipt = ExpectedReceipt(
            receipt_id=f"ER-{next(self._ids)}",
            rma_ref=body.rma_ref,
            order_ref=body.order_ref,
            status="expected",
            lines=body.lines,
            created_at=rfc3339_now(),
        )
        self._receipts[body.rma_ref] = receipt
        return receipt, True

    def cancel(self, rma_ref: str) -> ExpectedReceipt:
        """Cancel an expected receipt; a cancelled one stays so. A received one cannot be."""
        receipt = self._get(rma_ref)
        if receipt.status == "received":
            return receipt
        return self._put(msgspec.structs.replace(receipt, status="cancelled"))

    def receive(self, rma_ref: str) -> ExpectedReceipt:
        """Receive the return (see the module docstring); 404 when unknown or cancelled."""
        receipt = self._get(rma_ref)
        if receipt.status == "cancelled":
            raise WmsNotFound(f"the expected receipt {rma_ref} was cancelled")
        if receipt.status == "received":
            return receipt
        restock: dict[str, int] = defaultdict(int)
        for line in receipt.lines:
            if line.disposition == "restock":
                restock[line.item_code] += line.quantity
        for sku, quantity in restock.items():
            self._dock.restock(receipt.order_ref, sku, quantity)
        received = self._put(msgspec.structs.replace(receipt, status="received", received_at=rfc3339_now()))
        payload = ReturnPayload(rma_ref=rma_ref, order_ref=receipt.order_ref, lines=receipt.lines)
        self._dock.announcer.announce(
            ReturnReceived(event_id=new_event_id("wms"), occurred_at=received.received_at or "", payload=payload)
        )
        return received

    def inspect(self, rma_ref: str, body: InspectionIn, key: str | None) -> tuple[Inspection, bool]:
        """Apply an inspection result to quarantined units; ``True`` when new (see the module docstring)."""
        if key is not None and key in self._inspections:
            return self._inspections[key], False
        receipt = self._get(rma_ref)
        if receipt.status != "received":
            raise WmsInvalid(f"the return {rma_ref} has not been received")
        held = sum(l.quantity for l in receipt.lines if l.item_code == body.item_code and l.disposition == "inspect")
        waiting = held - self._inspected[(rma_ref, body.item_code)]
        if body.quantity > waiting:
            raise WmsInvalid(f"{waiting} of {body.item_code} wait for inspection in {rma_ref}")
        self._inspected[(rma_ref, body.item_code)] += body.quantity
        if body.result == "restock":
            self._dock.restock(receipt.order_ref, body.item_code, body.quantity)
        record = Inspection(inspection_id=f"IN-{next(self._inspection_ids)}", rma_ref=rma_ref,
                            item_code=body.item_code, quantity=body.quantity, result=body.result,
                            created_at=rfc3339_now())
        if key is not None:
            self._inspections[key] = record
        return record, True

    def _get(self, rma_ref: str) -> ExpectedReceipt:
        receipt = self._receipts.get(rma_ref)
        if receipt is None:
            raise WmsNotFound(f"no expected receipt {rma_ref}")
        return receipt

    def _put(self, receipt: ExpectedReceipt) -> ExpectedReceipt:
        self._receipts[receipt.rma_ref] = receipt
        return receipt
