"""Shopify Admin REST (2024-10) JSON and its ``orders/create`` webhook body (snake_case).

The sandbox names an inventory item by its SKU and a location by its name
(docs/vendors/shopify.md); a real shop maps them to its numeric ids. Likewise a
refunded line is named by its SKU, where a real shop wants ``line_item_id``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import msgspec

Sku = Annotated[str, msgspec.Meta(min_length=1)]


class ShopifyOut(msgspec.Struct, frozen=True, kw_only=True):
    """Base of request bodies: every field sent."""


class InventoryLevelSet(ShopifyOut):
    """``POST /inventory_levels/set.json``."""

    location_id: str
    inventory_item_id: str
    available: int


class InventoryLevelIn(msgspec.Struct, frozen=True, kw_only=True):
    """One of ``GET /inventory_levels.json``'s levels (real shops send numeric ids)."""

    inventory_item_id: str | int
    location_id: str | int
    available: int | None = None


class InventoryLevelList(msgspec.Struct, frozen=True, kw_only=True):
    inventory_levels: list[InventoryLevelIn] = []


class FulfilmentLineOut(ShopifyOut):
    sku: str
    quantity: int


class FulfilmentOut(ShopifyOut):
    tracking_number: str
    tracking_company: str
    line_items: list[FulfilmentLineOut]
    notify_customer: bool = True


class FulfilmentBody(ShopifyOut):
    """``POST /orders/{id}/fulfillments.json`` (with ``Idempotency-Key``)."""

    fulfillment: FulfilmentOut


class RefundLineOut(ShopifyOut):
    sku: str
    quantity: int
    restock_type: str = "no_restock"
    """The hub restocks through the WMS receipt, never on Shopify."""


class RefundTransactionOut(ShopifyOut):
    gateway: str
    amount: Decimal
    kind: str = "refund"


class RefundOut(ShopifyOut):
    currency: str
    note: str
    """``hub <rma id>``: how a retry finds the refund it made (Shopify keeps no idempotency key for refunds)."""
    refund_line_items: list[RefundLineOut]
    transactions: list[RefundTransactionOut]
    notify: bool = False


class RefundBody(ShopifyOut):
    """``POST /orders/{id}/refunds.json``."""

    refund: RefundOut


# --- answers read back; unknown fields ignored ----------------------------------


class RefundTransactionIn(msgspec.Struct, frozen=True, kw_only=True):
    kind: str
    status: str
    """``success``, ``pending``, ``failure`` or ``error``."""
    amount: Decimal


class RefundIn(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    note: str | None = None
    transactions: list[RefundTransactionIn] = []


class RefundAnswer(msgspec.Struct, frozen=True, kw_only=True):
    refund: RefundIn


class RefundList(msgspec.Struct, frozen=True, kw_only=True):
    """``GET /orders/{id}/refunds.json``."""

    refunds: list[RefundIn]


# --- the orders/create webhook body (an order); unknown fields ignored ------------


class WebhookAddress(msgspec.Struct, frozen=True, kw_only=True):
    first_name: str | None = None
    last_name: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    province_code: str | None = None
    zip: str | None = None
    country_code: str | None = None


class WebhookLineItem(msgspec.Struct, frozen=True, kw_only=True):
    sku: Sku
    quantity: Annotated[int, msgspec.Meta(ge=1)]
    price: Decimal


class WebhookOrder(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    currency: str
    total_price: Decimal
    line_items: Annotated[list[WebhookLineItem], msgspec.Meta(min_length=1)]
    email: str | None = None
    shipping_address: WebhookAddress | None = None
