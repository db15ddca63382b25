"""Shopify Admin REST (2024-10) JSON and its ``orders/create`` webhook body (snake_case).

The sandbox names an inventory item by its SKU and a location by its name
(docs/vendors.md); a real shop maps them to its numeric ids.
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
