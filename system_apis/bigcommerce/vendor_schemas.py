"""BigCommerce REST JSON: v2 orders (and their products, shipping addresses, shipments), v3
inventory (locations, items, absolute adjustments), v3 refunds, webhooks and errors. The sandbox
serves these shapes too."""

from __future__ import annotations

from decimal import Decimal

import msgspec


class Big(msgspec.Struct, kw_only=True):
    """Base: unknown fields are ignored."""


class BigOrder(Big, kw_only=True):
    id: int
    status: str = "Awaiting Fulfillment"
    currency_code: str = "USD"
    total_inc_tax: Decimal
    date_created: str = ""


class BigBillingEmail(Big, kw_only=True):
    email: str = ""


class BigOrderProduct(Big, kw_only=True):
    id: int
    order_id: int = 0
    sku: str
    quantity: int
    price_inc_tax: Decimal


class BigShippingAddress(Big, kw_only=True):
    id: int
    first_name: str = ""
    last_name: str = ""
    street_1: str = ""
    street_2: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    country_iso2: str = ""
    email: str = ""


class BigShipmentItem(Big, kw_only=True):
    order_product_id: int
    quantity: int


class BigShipmentOut(Big, kw_only=True):
    """``POST /v2/orders/{id}/shipments``."""

    order_address_id: int
    tracking_number: str
    tracking_carrier: str = ""
    shipping_provider: str = ""
    comments: str = ""
    items: list[BigShipmentItem]


class BigShipment(Big, kw_only=True):
    id: int
    order_id: int
    tracking_number: str = ""
    comments: str = ""
    items: list[BigShipmentItem] = []


class BigLocation(Big, kw_only=True):
    id: int
    code: str


class BigAdjustmentItem(Big, kw_only=True):
    location_id: int
    sku: str
    quantity: int


class BigAdjustment(Big, kw_only=True):
    """``PUT /v3/inventory/adjustments/absolute``."""

    reason: str = "hub storefront levels"
    items: list[BigAdjustmentItem]


class BigItemLocation(Big, kw_only=True):
    location_id: int
    location_code: str = ""
    available_to_sell: int = 0


class BigIdentity(Big, kw_only=True):
    sku: str


class BigInventoryItem(Big, kw_only=True):
    identity: BigIdentity
    locations: list[BigItemLocation] = []


class BigRefundItem(Big, kw_only=True):
    item_type: str = "PRODUCT"
    item_id: int
    quantity: int


class BigRefundPayment(Big, kw_only=True):
    provider_id: str = "custom"
    amount: Decimal
    offline: bool = True


class BigRefundOut(Big, kw_only=True):
    """``POST /v3/orders/{id}/payment_actions/refunds``."""

    items: list[BigRefundItem]
    payments: list[BigRefundPayment]
    reason: str = ""


class BigRefund(Big, kw_only=True):
    id: int
    order_id: int
    total_amount: Decimal
    reason: str = ""


class BigWebhookData(Big, kw_only=True):
    type: str = ""
    id: int


class BigWebhook(Big, kw_only=True):
    """A webhook body: only the scope and the resource's id (``store/order/created``)."""

    scope: str
    store_id: str = ""
    producer: str = ""
    data: BigWebhookData
    created_at: int = 0


class BigError(Big, kw_only=True):
    """A v3 error (``{"status", "title", "type", "errors"}``); v2 answers a list of ``{"status", "message"}``."""

    status: int = 0
    title: str = ""
    type: str = ""
