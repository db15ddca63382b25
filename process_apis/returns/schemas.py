"""Returns in canonical terms: the request a channel sends and the RMA it gets back.

Experience APIs shape these for their channel; fields may be added (with
defaults) freely. Money is ``Decimal`` in the order's currency.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

import msgspec

from process_apis.orders.schemas import Viewer

ReturnReason = Literal["damaged", "defective", "wrong_item", "not_needed", "other"]
Disposition = Literal["restock", "inspect", "scrap"]
ReturnStatus = Literal["authorized", "rejected", "pending_review"]
LineDecision = Literal["approved", "rejected"]
RefundStatus = Literal["pending", "issued", "failed", "not_applicable"]
RefundMethod = Literal["card", "account_credit", "channel", "none"]
"""How the money goes back: to the card (payment refund), as a credit on the customer's
account (orders paid on account: the credit memo is the refund), on the channel's own
platform (channel platform orders), or not at all (nothing approved)."""
InspectionResult = Literal["restock", "scrap"]


class Struct(msgspec.Struct, frozen=True, kw_only=True):
    pass


class ReturnLineRequest(Struct, kw_only=True):
    sku: str
    quantity: int
    reason: ReturnReason


class RequestReturn(Struct, kw_only=True):
    """Ask to return ``lines`` of ``order_id``; ``viewer`` must be allowed to see the order."""

    channel: str
    """Where the request came from (storefront, mobile, partner)."""
    viewer: Viewer
    order_id: str
    lines: tuple[ReturnLineRequest, ...]


class ReturnLine(Struct, kw_only=True):
    sku: str
    quantity: int
    reason: ReturnReason
    decision: LineDecision
    disposition: Disposition
    unit_price: Decimal
    """The price paid for one unit on the order."""
    refund_amount: Decimal
    rejection_reason: str | None = None
    """``final_sale`` or ``outside_return_window`` for a rejected line."""
    received_quantity: int = 0
    """Units the WMS reported received."""
    restocked_quantity: int = 0
    """Of an ``inspect`` line: units an inspection sent back to stock."""
    scrapped_quantity: int = 0
    """Of an ``inspect`` line: units an inspection scrapped."""


class RefundView(Struct, kw_only=True):
    amount: Decimal
    currency: str
    status: RefundStatus
    method: RefundMethod
    reason: str | None = None
    """Why the refund failed (the step and the backend's error)."""
    credit_memo_id: str | None = None
    refund_id: str | None = None


class HistoryEntry(Struct, kw_only=True):
    status: ReturnStatus
    refund_status: RefundStatus
    at: datetime
    detail: str | None = None


class ReturnView(Struct, kw_only=True):
    rma_id: str
    order_id: str
    status: ReturnStatus
    channel: str
    customer_id: str | None = None
    lines: tuple[ReturnLine, ...]
    refund: RefundView
    created_at: datetime
    updated_at: datetime
    saga_step: str | None = None
    """The refund saga's next step (``done`` or ``failed`` at its end); None before approval."""
    history: tuple[HistoryEntry, ...] = ()


class Requested(Struct, kw_only=True):
    """The answer to ``request_return``: the RMA (new, or the first one for this key)."""

    rma: ReturnView
    replayed: bool = False


class ReturnUpdated(Struct, kw_only=True):
    """Bus event ``return.updated``: an RMA's status, refund or lines changed."""

    rma_id: str
    order_id: str
    customer_id: str | None
    consumer: str
    status: ReturnStatus
    refund_status: RefundStatus
    at: datetime
    detail: str | None = None


class ReturnPolicy(Struct, kw_only=True):
    """The return rules' settings (``shared.settings``: ``return_*``)."""

    window_days: int = 30
    window_days_by_channel: dict[str, int] = {}
    review_threshold: Decimal = Decimal("500.00")
    dispositions: dict[str, str] = {}

    def window_for(self, channel: str) -> int:
        return self.window_days_by_channel.get(channel, self.window_days)

    def disposition_for(self, reason: str) -> Disposition:
        default = "inspect" if reason in ("damaged", "defective") else "restock"
        return self.dispositions.get(reason, default)  # type: ignore[return-value]
