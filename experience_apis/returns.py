"""What the channels' return endpoints share: the return wire shapes of CONTRACT section 3,
and the calls to the return process.

Storefront, mobile and partner take the same body and answer the same shapes
(the ``Idempotency-Key`` and strict body check are ``orders.order_body``), so
these Structs are part of each channel's frozen v1 contract: add fields with
defaults only.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec
from litestar import Response
from litestar.datastructures import ResponseHeader
from litestar.params import Parameter

from experience_apis.http import INJECTED
from experience_apis.openapi import IDEMPOTENT_WRITE, problems
from experience_apis.orders import viewer
from experience_apis.storefront.v1.schemas import Quantity, Sku
from process_apis.returns.port import ReturnPort
from process_apis.returns.schemas import RequestReturn, ReturnLineRequest, ReturnView
from shared.identity import Principal

Returns = Annotated[ReturnPort, INJECTED]
RmaIdParam = Annotated[str, Parameter(min_length=1, max_length=40, description="The return's id (`rma_...`).")]
RETURN_PROBLEMS = problems(IDEMPOTENT_WRITE, {
    404: "No such order, or one of another customer (`unknown_order`).",
    422: "Invalid input (`validation_failed` with `errors`) or a broken rule: `not_shipped`, "
         "`quantity_exceeds_returnable`, `idempotency_key_reused`.",
})
"""The problem answers of `POST /returns` beyond every operation's."""
RETURN_HEADERS = [
    ResponseHeader(name="Location", description="The new return's URL.", documentation_only=True),
    ResponseHeader(name="Idempotent-Replayed", description="`true` when this is the stored answer of an earlier "
                   "request with the same Idempotency-Key.", documentation_only=True, required=False),
]


class ReturnLineIn(msgspec.Struct, forbid_unknown_fields=True):
    sku: Sku
    quantity: Quantity
    reason: Literal["damaged", "defective", "wrong_item", "not_needed", "other"]
    """`damaged` and `defective` items go to inspection; the others back to stock."""


class ReturnIn(msgspec.Struct, forbid_unknown_fields=True):
    order_id: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    lines: Annotated[list[ReturnLineIn], msgspec.Meta(min_length=1, max_length=200)]


class ReturnLineOut(msgspec.Struct, omit_defaults=True):
    sku: str
    quantity: int
    reason: str
    decision: Literal["approved", "rejected"]
    refund_amount: Decimal
    disposition: Literal["restock", "inspect", "scrap"]
    received_quantity: int
    """Units the warehouse has received so far."""
    rejection_reason: str | None = None
    """`final_sale`, `outside_return_window` or `rejected_on_review`."""


class RefundOut(msgspec.Struct, omit_defaults=True):
    amount: Decimal
    currency: str
    status: Literal["pending", "issued", "failed", "not_applicable"]
    method: Literal["card", "account_credit", "channel", "none"]
    """Where the money goes: back to the card, as a credit on the customer's account (orders paid on
    account), on the channel's own platform, or nowhere (nothing approved)."""
    reason: str | None = None
    """Why the refund failed (everything done before it was undone)."""


class ReturnHistoryOut(msgspec.Struct, omit_defaults=True):
    status: str
    refund_status: str
    at: datetime
    detail: str | None = None


class ReturnOut(msgspec.Struct):
    rma_id: str
    order_id: str
    status: Literal["authorized", "rejected", "pending_review"]
    lines: list[ReturnLineOut]
    refund: RefundOut
    created_at: datetime


class ReturnDetail(ReturnOut):
    updated_at: datetime
    history: list[ReturnHistoryOut]


def command(data: ReturnIn, principal: Principal, channel: str) -> RequestReturn:
    return RequestReturn(channel=channel, viewer=viewer(principal), order_id=data.order_id, lines=tuple(
        ReturnLineRequest(sku=line.sku, quantity=line.quantity, reason=line.reason) for line in data.lines))


async def ask(returns: ReturnPort, cmd: RequestReturn, key: str, location_prefix: str) -> Response[ReturnOut]:
    requested = await returns.request_return(cmd, key)
    headers = {"Location": f"{location_prefix}/returns/{requested.rma.rma_id}"}
    if requested.replayed:
        headers["Idempotent-Replayed"] = "true"
    rma = requested.rma
    return Response(ReturnOut(rma_id=rma.rma_id, order_id=rma.order_id, status=rma.status, lines=_lines(rma),
                              refund=_refund(rma), created_at=rma.created_at), status_code=201, headers=headers)


def detail(rma: ReturnView) -> ReturnDetail:
    return ReturnDetail(
        rma_id=rma.rma_id, order_id=rma.order_id, status=rma.status, lines=_lines(rma), refund=_refund(rma),
        created_at=rma.created_at, updated_at=rma.updated_at,
        history=[ReturnHistoryOut(status=h.status, refund_status=h.refund_status, at=h.at, detail=h.detail)
                 for h in rma.history])


def _lines(rma: ReturnView) -> list[ReturnLineOut]:
    return [ReturnLineOut(sku=l.sku, quantity=l.quantity, reason=l.reason, decision=l.decision,
                          refund_amount=l.refund_amount, disposition=l.disposition,
                          received_quantity=l.received_quantity, rejection_reason=l.rejection_reason)
            for l in rma.lines]


def _refund(rma: ReturnView) -> RefundOut:
    r = rma.refund
    return RefundOut(amount=r.amount, currency=r.currency, status=r.status, method=r.method, reason=r.reason)
