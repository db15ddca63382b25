"""Partner v1 EDI wire contract (frozen once published: add fields with defaults only)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from process_apis.edi.schemas import DocumentView, Receipt
from shared.errors import HubError


class EdiRejected(HubError):
    status, code, title = 422, "edi_rejected", "The interchange was rejected"


class DocumentOut(msgspec.Struct, omit_defaults=True):
    id: int
    direction: Literal["in", "out"]
    type: str
    """850 (an interchange received), 997, TA1, 855, 856 or 810."""
    interchange_control_number: str
    status: str
    created_at: datetime
    x12: str
    """The document as sent or received."""
    group_control_number: str | None = None
    transaction_set_control_number: str | None = None
    order_id: str | None = None
    po_number: str | None = None

    @classmethod
    def of(cls, d: DocumentView) -> "DocumentOut":
        return cls(id=d.id, direction=d.direction, type=d.doc_type, interchange_control_number=d.interchange_control,
                   status=d.status, created_at=d.created_at, x12=d.raw, group_control_number=d.group_control,
                   transaction_set_control_number=d.set_control, order_id=d.order_id, po_number=d.po_number)


class DocumentList(msgspec.Struct):
    items: list[DocumentOut]
    next_cursor: str | None


class OrderOutcomeOut(msgspec.Struct, omit_defaults=True):
    po_number: str
    transaction_set_control_number: str
    outcome: Literal["accepted", "accepted_with_changes", "rejected", "duplicate", "pending"]
    order_id: str | None = None
    detail: str | None = None


class ReceiptOut(msgspec.Struct, omit_defaults=True):
    interchange_control_number: str
    status: Literal["accepted", "partially_accepted", "rejected"]
    orders: list[OrderOutcomeOut]
    documents: list[DocumentOut]
    """What the hub sent back: the 997, then an 855 per 850 captured."""
    replayed: bool = False
    segment: str | None = None
    """Where the first rejected transaction set went wrong (partially accepted interchanges)."""
    detail: str | None = None

    @classmethod
    def of(cls, r: Receipt) -> "ReceiptOut":
        return cls(interchange_control_number=r.interchange_control, status=r.status, replayed=r.replayed,
                   orders=[OrderOutcomeOut(po_number=o.po_number, transaction_set_control_number=o.set_control,
                                           outcome=o.outcome, order_id=o.order_id, detail=o.detail) for o in r.orders],
                   documents=[DocumentOut.of(d) for d in r.documents], segment=r.error_segment, detail=r.detail)

    @staticmethod
    def raise_if_rejected(r: Receipt) -> None:
        if r.status == "rejected":
            ack = next((d.raw for d in r.documents if d.doc_type in ("997", "TA1")), None)
            raise EdiRejected(f"Interchange {r.interchange_control} rejected at {r.error_segment}: {r.detail}",
                              segment=r.error_segment, interchange_control_number=r.interchange_control,
                              acknowledgement=ack, replayed=r.replayed)
