"""What a journey look-up answers (CONTRACT section 7, ``GET /admin/v1/journeys``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec


class JourneyStep(msgspec.Struct, kw_only=True):
    """One thing that happened to the order or return, oldest first in its journey."""

    at: datetime
    layer: str
    """``experience`` (the channel's request), ``process`` (the hub's own work), ``system`` (a backend
    call), ``operations`` (an operator's action)."""
    step: str
    """A status the order or return reached (``accepted``, ``posted`` ...), or a message topic."""
    outcome: str
    """``done``; for messages also ``retried``, ``dead_lettered``, ``pending``; an operator's
    ``replayed`` or ``resolved`` (a dead letter closed without a replay)."""
    attempts: int | None = None
    trace_id: str | None = None
    detail: str | None = None
    backend: str | None = None
    latency_ms: float | None = None
    schema_version: int | None = None
    """The message payload's schema version."""
    message_id: str | None = None
    dead_letter_id: str | None = None
    """The dead letter this step made (``dead_lettered``), replayed or resolved."""
    actor: str | None = None
    """Who replayed or resolved it: the admin key's consumer and id, or ``cli:<user>``."""
    note: str | None = None
    """Why a dead letter was resolved without a replay (the operator's note)."""


class JourneyRefs(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Every identifier the order or return has carried (absent: never had one)."""

    order_id: str | None = None
    rma_id: str | None = None
    channel: str | None = None
    channel_order_ref: str | None = None
    """The channel's own order number (the platform's order id for a channel platform's order)."""
    po_number: str | None = None
    erp_order_number: str | None = None
    fulfilment_id: str | None = None
    shipment_ids: tuple[str, ...] = ()
    tracking_numbers: tuple[str, ...] = ()
    rma_ids: tuple[str, ...] = ()
    webhook_ids: tuple[str, ...] = ()
    credit_memo_id: str | None = None
    refund_id: str | None = None


class Journey(msgspec.Struct, kw_only=True):
    kind: Literal["order", "return"]
    id: str
    status: str
    refs: JourneyRefs
    steps: tuple[JourneyStep, ...]


class Journeys(msgspec.Struct):
    items: list[Journey]
