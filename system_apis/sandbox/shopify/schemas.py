"""Shopify Admin REST (2024-10) shapes, as the sandbox storefront speaks them (snake_case).

Ids: an inventory item is named by its SKU and a location by its name
(``"DC-EAST"``), where Shopify uses numeric ids; orders, line items,
fulfilments and refunds have numeric ids as in Shopify. A refunded line is
named by its ``line_item_id`` or, as the sandbox allows, by its SKU.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from shared.jsonbody import decode_json

Money = Annotated[str, msgspec.Meta(pattern=r"^\d{1,9}(\.\d{1,2})?$")]
Quantity = Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]
NonEmpty = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]


class ShopifyModel(msgspec.Struct, frozen=True, kw_only=True):
    """Base of every Shopify payload."""


# --- errors ----------------------------------------------------------------------


class ShopifyErrors(msgspec.Struct, frozen=True):
    """``{"errors": "Not Found"}`` or ``{"errors": {"field": ["message"]}}``."""

    errors: Any


THROTTLED = ShopifyErrors("Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.")
UNAUTHORIZED = ShopifyErrors("[API] Invalid API key or access token (unrecognized login or wrong password)")


class ShopifyNotFound(Exception):
    """404 ``{"errors": "Not Found"}``."""


class ShopifyInvalid(Exception):
    """422 ``{"errors": {field: [message]}}``."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


def decode_shopify(body: bytes, type_: type[Any]) -> Any:
    """A request body as Shopify reads it; anything else is ``ShopifyInvalid``."""
    try:  # not JSON: MalformedJson, a 400 problem
        return decode_json(body, type_)
    except msgspec.ValidationError as exc:
        raise ShopifyInvalid("base", str(exc)) from exc


# --- inventory -------------------------------------------------------------------


class InventorySet(ShopifyModel):
    """The body of ``POST /inventory_levels/set.json``."""

    location_id: NonEmpty | int
    inventory_item_id: NonEmpty | int
    available: int


class InventoryLevel(ShopifyModel):
    inventory_item_id: str
    location_id: str
    available: int
    updated_at: str


class InventoryLevelAnswer(ShopifyModel):
    inventory_level: InventoryLevel


class InventoryLevels(ShopifyModel):
    inventory_levels: list[InventoryLevel]


class LocationView(msgspec.Struct, frozen=True):
    location: str
    available: int


class InventoryView(msgspec.Struct, frozen=True, kw_only=True):
    """``GET /sandbox/shopify/inventory/{sku}``: what the storefront shows."""

    sku: str
    available: int
    levels: list[LocationView]


# --- orders ----------------------------------------------------------------------


class ShopifyAddress(ShopifyModel, kw_only=True):
    first_name: str = ""
    last_name: str = ""
    address1: str
    address2: str | None = None
    city: str
    province_code: str | None = None
    zip: str | None = None
    country_code: str
    phone: str | None = None


class OrderLineIn(ShopifyModel, forbid_unknown_fields=True):
    sku: NonEmpty
    quantity: Quantity
    price: Money
    title: str | None = None


class OrderIn(ShopifyModel, forbid_unknown_fields=True):
    """The body of the control ``POST /sandbox/shopify/orders``."""

    line_items: Annotated[list[OrderLineIn], msgspec.Meta(min_length=1, max_length=250)]
    email: str | None = None
    shipping_address: ShopifyAddress | None = None


class LineItem(ShopifyModel):
    id: int
    sku: str
    title: str
    name: str
    quantity: int
    price: str
    requires_shipping: bool = True


class ShopifyOrder(ShopifyModel):
    id: int
    admin_graphql_api_id: str
    name: str
    order_number: int
    email: str
    currency: str
    presentment_currency: str
    subtotal_price: str
    total_tax: str
    total_discounts: str
    total_price: str
    financial_status: str
    fulfillment_status: str | None
    created_at: str
    updated_at: str
    line_items: list[LineItem]
    shipping_address: ShopifyAddress | None
    test: bool = True


class OrderCreated(msgspec.Struct, frozen=True, kw_only=True):
    """What the control ``POST /sandbox/shopify/orders`` answers."""

    order: ShopifyOrder
    webhook_id: str


class Redelivered(msgspec.Struct, frozen=True, kw_only=True):
    order_id: int
    webhook_id: str
    topic: str


class Webhook(msgspec.Struct, frozen=True, kw_only=True):
    """An outbox entry: a webhook as sent (its headers and the order as its body)."""

    webhook_id: str
    topic: str
    triggered_at: str
    order: ShopifyOrder


# --- fulfilments -----------------------------------------------------------------


class FulfilledLine(ShopifyModel, forbid_unknown_fields=True):
    sku: NonEmpty
    quantity: Quantity


class FulfillmentIn(ShopifyModel):
    tracking_number: str | None = None
    tracking_company: str | None = None
    line_items: list[FulfilledLine] = []
    notify_customer: bool = False


class FulfillmentRequest(ShopifyModel):
    """The body of ``POST /orders/{id}/fulfillments.json``."""

    fulfillment: FulfillmentIn


class Fulfillment(ShopifyModel):
    id: int
    order_id: int
    status: str
    tracking_company: str | None
    tracking_number: str | None
    tracking_numbers: list[str]
    line_items: list[FulfilledLine]
    created_at: str


class FulfillmentAnswer(ShopifyModel):
    fulfillment: Fulfillment


class FulfillmentView(msgspec.Struct, frozen=True, kw_only=True):
    fulfillment_id: int
    order_id: str
    tracking_number: str | None
    tracking_company: str | None
    line_items: list[FulfilledLine]
    created_at: str


class FulfillmentViews(msgspec.Struct, frozen=True):
    items: list[FulfillmentView]


# --- refunds ---------------------------------------------------------------------


class RefundLineIn(ShopifyModel, forbid_unknown_fields=True):
    """A refunded line: ``line_item_id`` or (sandbox) ``sku``."""

    quantity: Quantity
    line_item_id: int | None = None
    sku: NonEmpty | None = None
    restock_type: Literal["no_restock", "cancel", "return", "legacy_restock"] = "no_restock"
    location_id: int | str | None = None


class RefundTransactionIn(ShopifyModel):
    kind: Literal["refund"]
    amount: Money
    gateway: str | None = None
    parent_id: int | None = None


class RefundIn(ShopifyModel):
    currency: str | None = None
    notify: bool = False
    note: Annotated[str, msgspec.Meta(max_length=1000)] | None = None
    refund_line_items: list[RefundLineIn] = []
    transactions: list[RefundTransactionIn] = []


class RefundRequest(ShopifyModel):
    """The body of ``POST /orders/{id}/refunds.json``."""

    refund: RefundIn


class RefundLineItem(ShopifyModel):
    id: int
    line_item_id: int
    quantity: int
    restock_type: str
    subtotal: str
    line_item: LineItem


class RefundTransaction(ShopifyModel):
    id: int
    order_id: int
    kind: str
    gateway: str
    status: str
    amount: str
    currency: str
    parent_id: int | None
    created_at: str


class ShopifyRefund(ShopifyModel):
    id: int
    order_id: int
    note: str | None
    created_at: str
    processed_at: str
    refund_line_items: list[RefundLineItem]
    transactions: list[RefundTransaction]
    restock: bool = False


class RefundAnswer(ShopifyModel):
    refund: ShopifyRefund


class RefundsAnswer(ShopifyModel):
    """``GET /orders/{id}/refunds.json``."""

    refunds: list[ShopifyRefund]


class RefundView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    order_id: str
    amount: str
    """What the refund's transactions gave back."""
    currency: str
    note: str | None
    line_items: list[FulfilledLine]
    created_at: str


class RefundViews(msgspec.Struct, frozen=True):
    items: list[RefundView]
