"""EDI in canonical terms: trading partners, what an upload answers, the documents listed.

Experience APIs shape these for their channel; nothing here is a wire contract of
its own, so fields may be added (with defaults) freely.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from system_apis.edi.port import PartnerIds, PurchaseOrder
from shared.models import ShipmentConfirmed

Outcome = Literal["accepted", "accepted_with_changes", "rejected", "duplicate", "pending"]


class Struct(msgspec.Struct, frozen=True, kw_only=True):
    pass


class TradingPartner(Struct):
    name: str
    ids: PartnerIds
    customer_id: str
    """The hub customer its 850s order for."""
    version: str = "004010"
    outbox_dir: str | None = None
    """Its own outbound folder, over ``HUB_EDI_OUTBOX_DIR/<name>``."""


class DocumentView(Struct):
    id: int
    partner: str
    direction: Literal["in", "out"]
    doc_type: str
    """850 (an interchange received), 997, TA1, 855, 856 or 810."""
    interchange_control: str
    status: str
    created_at: datetime
    raw: str
    group_control: str | None = None
    set_control: str | None = None
    order_id: str | None = None
    po_number: str | None = None


class OrderOutcome(Struct):
    po_number: str
    set_control: str
    outcome: Outcome
    order_id: str | None = None
    detail: str | None = None


class Receipt(Struct):
    """What receiving one interchange did."""

    partner: str
    interchange_control: str
    status: Literal["accepted", "partially_accepted", "rejected"]
    orders: tuple[OrderOutcome, ...] = ()
    documents: tuple[DocumentView, ...] = ()
    """What the hub sent back for it so far: the 997 (or TA1), then each 855."""
    replayed: bool = False
    """True when this interchange (partner and ISA13) was received before: nothing was done again."""
    error_segment: str | None = None
    detail: str | None = None


class DocumentPage(Struct):
    items: tuple[DocumentView, ...]
    next_cursor: str | None = None


class CaptureJob(Struct):
    """One accepted 850 waiting for order capture (``edi.capture`` in the outbox)."""

    partner: str
    interchange_control: str
    po: PurchaseOrder


class ShippedJob(Struct):
    """A shipment of an EDI order, for its 856 and 810 (``edi.shipped`` in the outbox)."""

    shipment: ShipmentConfirmed
