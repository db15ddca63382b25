"""WooCommerce REST API v3 (``/wp-json/wc/v3``) JSON: orders, notes, refunds, products, errors,
and the ``order.created`` webhook body (the order itself). The sandbox serves these shapes too."""

from __future__ import annotations

from decimal import Decimal

import msgspec


class Woo(msgspec.Struct, kw_only=True):
    """Base: unknown fields are ignored, as a client of a growing API must."""


class WooAddress(Woo, kw_only=True):
    first_name: str = ""
    last_name: str = ""
    address_1: str = ""
    address_2: str = ""
    city: str = ""
    state: str = ""
    postcode: str = ""
    country: str = ""


class WooBilling(WooAddress, kw_only=True):
    email: str = ""


class WooLineItem(Woo, kw_only=True):
    id: int
    name: str = ""
    product_id: int = 0
    quantity: int
    sku: str
    price: Decimal
    """A JSON number on WooCommerce (the unit price); ``total`` is the line's, a string."""
    total: str = "0.00"


class WooOrder(Woo, kw_only=True):
    id: int
    number: str = ""
    status: str = "processing"
    currency: str = "USD"
    total: Decimal
    date_created: str = ""
    billing: WooBilling = msgspec.field(default_factory=WooBilling)
    shipping: WooAddress = msgspec.field(default_factory=WooAddress)
    line_items: list[WooLineItem] = []


class WooNote(Woo, kw_only=True):
    id: int = 0
    note: str
    customer_note: bool = False
    date_created: str = ""


class WooOrderUpdate(Woo, kw_only=True):
    status: str


class WooMeta(Woo, kw_only=True):
    key: str
    value: str


class WooProduct(Woo, kw_only=True):
    id: int
    sku: str = ""
    name: str = ""
    regular_price: str = ""
    manage_stock: bool = False
    stock_quantity: int | None = None
    meta_data: list[WooMeta] = []


class WooStockUpdate(Woo, kw_only=True):
    """``PUT /products/{id}`` (and one of ``POST /products/batch``'s ``update`` entries, with ``id``)."""

    id: int | None = None
    manage_stock: bool = True
    stock_quantity: int
    meta_data: list[WooMeta] = []
    """Upserted by ``key``: the hub keeps each location's level as ``hub_level:<location>``."""


class WooBatch(Woo, kw_only=True):
    update: list[WooStockUpdate] = []


class WooBatchAnswer(Woo, kw_only=True):
    update: list[WooProduct] = []


class WooRefundLine(Woo, kw_only=True):
    id: int
    """The order's line item id."""
    quantity: int
    refund_total: str = "0.00"


class WooRefundOut(Woo, kw_only=True):
    amount: str
    reason: str
    api_refund: bool = True
    """Refund the money through the payment gateway (WooCommerce's default)."""
    line_items: list[WooRefundLine] = []


class WooRefund(Woo, kw_only=True):
    id: int
    amount: Decimal
    reason: str = ""
    date_created: str = ""


class WooErrorData(Woo, kw_only=True):
    status: int = 0


class WooError(Woo, kw_only=True):
    """Every WooCommerce REST error: ``{"code", "message", "data": {"status"}}``."""

    code: str
    message: str
    data: WooErrorData = msgspec.field(default_factory=WooErrorData)
