"""Order capture in canonical terms: the command a channel sends and the order it gets back.

Experience APIs shape these for their channel; nothing here is a wire
contract of its own, so fields may be added (with defaults) freely.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

import msgspec

from shared.models import Address

OrderStatus = Literal["accepted", "posted", "released", "shipped", "delivered", "cancelled", "on_hold"]
ContractChannel = Literal["storefront", "mobile", "partner", "shopify"]
"""CONTRACT's channels: what the experience APIs place orders as (``OWN_CHANNELS``) and ``shopify``."""
Channel = str
"""An order's channel: a ``ContractChannel``, or the ``channel`` of the channel connection whose
webhook brought it in (``/hooks/channels/<connection>``, docs/connections.md), e.g. ``woo-us``."""
OWN_CHANNELS = ("storefront", "mobile", "partner")
"""The channels the hub's own APIs serve; any other sells on its own platform (a channel-platform
connection) and reaches the hub as a ``ChannelOrder``."""


class Struct(msgspec.Struct, frozen=True, kw_only=True):
    pass


class Payment(Struct, kw_only=True):
    method: str
    amount: Decimal
    authorization_id: str | None = None


class LineRequest(Struct, kw_only=True):
    sku: str
    quantity: int
    unit_price: Decimal | None = None
    """What the channel showed the buyer; checked against the customer's price when given."""


class PlaceOrder(Struct, kw_only=True):
    """Capture one order for ``customer_id`` (None: a guest at list prices, paying by card)."""

    channel: Channel
    consumer: str
    """Who sent it (the API consumer): keys and guest orders belong to it."""
    customer_id: str | None = None
    channel_order_ref: str | None = None
    po_number: str | None = None
    currency: str = "USD"
    lines: tuple[LineRequest, ...]
    ship_to: Address | None = None
    payment: Payment | None = None
    check_prices: bool = True
    """False for orders already sold on the channel's own platform: its prices stand."""


class Viewer(Struct, kw_only=True):
    """Who asks for an order or a return: the consumer, the customer it acts for, and whether it
    holds ``customers:any``. What it may see is ``orders.repository.grants`` (one rule)."""

    consumer: str
    customer_id: str | None = None
    any_customer: bool = False


class OrderLineView(Struct, kw_only=True):
    sku: str
    quantity: int
    unit_price: Decimal
    extended_price: Decimal


class HistoryEntry(Struct, kw_only=True):
    status: OrderStatus
    at: datetime
    detail: str | None = None


class ShipmentLine(Struct, kw_only=True):
    sku: str
    quantity: int


class ShipmentView(Struct, kw_only=True):
    shipment_id: str
    carrier: str
    tracking_number: str
    shipped_at: datetime
    lines: tuple[ShipmentLine, ...]


class OrderView(Struct, kw_only=True):
    order_id: str
    status: OrderStatus
    channel: Channel
    channel_order_ref: str | None = None
    po_number: str | None = None
    customer_id: str | None = None
    erp_order_number: str | None = None
    currency: str
    lines: tuple[OrderLineView, ...]
    total: Decimal
    created_at: datetime
    history: tuple[HistoryEntry, ...] = ()
    shipments: tuple[ShipmentView, ...] = ()


class Placed(Struct, kw_only=True):
    """The answer to ``place_order``: the order (new or the first one for this key)."""

    order: OrderView
    replayed: bool = False


class OrderSummary(Struct, kw_only=True):
    order_id: str
    status: OrderStatus
    total: Decimal
    currency: str
    created_at: datetime


class OrderPage(Struct, kw_only=True):
    items: tuple[OrderSummary, ...]
    next_cursor: str | None = None
