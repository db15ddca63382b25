"""The events partners receive, with versioned payloads, and the subscription views.

Each event's ``data`` carries ``schema_version``. A version only ever gains optional
fields; a change that would break a receiver is a new version (and a new
``schema_version``), documented in the partner OpenAPI document's ``webhooks``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

EventType = Literal["order.status_changed", "shipment.created", "return.updated", "inventory.changed"]
EVENT_TYPES: tuple[str, ...] = ("order.status_changed", "shipment.created", "return.updated", "inventory.changed")
DeliveryStatus = Literal["pending", "delivered", "failed"]


class OrderStatusChangedV1(msgspec.Struct, kw_only=True):
    schema_version: int = 1
    order_id: str
    status: str
    """The order's new status: accepted, posted, released, shipped, delivered, cancelled, on_hold."""
    changed_at: datetime
    channel: str
    channel_order_ref: str | None = None
    po_number: str | None = None
    erp_order_number: str | None = None
    detail: str | None = None


class ShipmentLineV1(msgspec.Struct):
    sku: str
    quantity: int


class ShipmentCreatedV1(msgspec.Struct, kw_only=True):
    schema_version: int = 1
    order_id: str
    shipment_id: str
    carrier: str
    tracking_number: str
    shipped_at: datetime
    lines: list[ShipmentLineV1]
    po_number: str | None = None


class ReturnUpdatedV1(msgspec.Struct, kw_only=True):
    schema_version: int = 1
    rma_id: str
    order_id: str
    status: str
    """authorized, rejected or pending_review."""
    refund_status: str
    """pending, issued, failed or not_applicable."""
    changed_at: datetime
    detail: str | None = None


class InventoryChangedV1(msgspec.Struct, kw_only=True):
    schema_version: int = 1
    sku: str
    location: str
    on_hand: int
    available: int
    sequence: int
    """The backend's sequence for this (sku, location): a higher one is newer."""
    changed_at: datetime


class Envelope(msgspec.Struct):
    """The body of every delivery (Standard Webhooks): type, when it happened, the payload."""

    type: str
    timestamp: datetime
    data: msgspec.Struct


class Subscription(msgspec.Struct, kw_only=True):
    id: str
    url: str
    events: list[str]
    status: Literal["active", "disabled"]
    created_at: datetime
    disabled_at: datetime | None = None
    secret: str | None = None
    """Only in the answer that made it (subscribe, rotate): shown once."""
    previous_secret_expires_at: datetime | None = None
    """After a rotation: until when deliveries are also signed with the previous secret."""


class Delivery(msgspec.Struct, kw_only=True):
    webhook_id: str
    type: str
    status: DeliveryStatus
    attempts: int
    last_response_status: int | None
    next_attempt_at: datetime | None
    created_at: datetime
    last_error: str | None = None
    seq: int = 0
    """The page position (not on the wire)."""


class DeliveryPage(msgspec.Struct, kw_only=True):
    items: list[Delivery]
    next_before: int | None
