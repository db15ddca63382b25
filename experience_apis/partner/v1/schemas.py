"""Partner v1 wire contract (frozen once published: add fields with defaults only)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from experience_apis.cursors import encode_cursor
from process_apis.notifications.schemas import Delivery, Subscription
from process_apis.pricing.schemas import PriceListPage, PriceSource


class PriceBreak(msgspec.Struct):
    min_quantity: int
    unit_price: Decimal


class PriceListItem(msgspec.Struct):
    sku: str
    name: str
    currency: str
    unit_price: Decimal
    """The bound customer's price for one unit (contract, else list)."""
    price_source: PriceSource
    breaks: list[PriceBreak]
    """The item's quantity breaks, lowest quantity first."""


class PriceList(msgspec.Struct):
    items: list[PriceListItem]
    next_cursor: str | None
    """Pass as `cursor` for the next page; null on the last page."""

    @classmethod
    def of(cls, page: PriceListPage) -> "PriceList":
        return cls(
            next_cursor=encode_cursor(page.next_offset),
            items=[PriceListItem(
                sku=e.sku, name=e.name, currency=e.currency, unit_price=e.unit_price, price_source=e.price_source,
                breaks=[PriceBreak(min_quantity=b.min_quantity, unit_price=b.unit_price)
                        for b in sorted(e.breaks, key=lambda b: b.min_quantity)],
            ) for e in page.items],
        )


# --- webhooks (issue 11) ---------------------------------------------------------

WebhookEvent = Literal["order.status_changed", "shipment.created", "return.updated", "inventory.changed"]


class WebhookIn(msgspec.Struct, forbid_unknown_fields=True):
    url: Annotated[str, msgspec.Meta(min_length=8, max_length=2048)]
    """Where deliveries go: https (the sandbox also takes http to a loopback address)."""
    events: Annotated[list[WebhookEvent], msgspec.Meta(min_length=1, max_length=4)]


class WebhookOut(msgspec.Struct, omit_defaults=True):
    id: str
    url: str
    events: list[str]
    status: Literal["active", "disabled"]
    created_at: datetime
    disabled_at: datetime | None = None
    """When a failure streak disabled it (`POST /webhooks/{id}/enable` turns it back on)."""
    secret: str | None = None
    """The `whsec_...` signing secret: only in the answer that made it (create, rotate)."""
    previous_secret_expires_at: datetime | None = None
    """After a rotation: until then deliveries carry a signature with each secret."""

    @classmethod
    def of(cls, s: Subscription) -> "WebhookOut":
        return cls(id=s.id, url=s.url, events=s.events, status=s.status, created_at=s.created_at,
                   disabled_at=s.disabled_at, secret=s.secret, previous_secret_expires_at=s.previous_secret_expires_at)


class WebhookList(msgspec.Struct):
    items: list[WebhookOut]


class DeliveryOut(msgspec.Struct):
    webhook_id: str
    """The `webhook-id` header: the same on every attempt and replay of this event."""
    type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    last_response_status: int | None
    next_attempt_at: datetime | None
    created_at: datetime
    last_error: str | None = None

    @classmethod
    def of(cls, d: Delivery) -> "DeliveryOut":
        return cls(webhook_id=d.webhook_id, type=d.type, status=d.status, attempts=d.attempts,
                   last_response_status=d.last_response_status, next_attempt_at=d.next_attempt_at,
                   created_at=d.created_at, last_error=d.last_error)


class DeliveryList(msgspec.Struct):
    items: list[DeliveryOut]
    next_cursor: str | None


class ReplayRangeIn(msgspec.Struct, forbid_unknown_fields=True):
    since: datetime
    until: datetime


class ReplayRangeOut(msgspec.Struct):
    replayed: int
    """Deliveries queued again (same webhook ids), each lane in its order."""
