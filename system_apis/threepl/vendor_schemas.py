"""The 3PL's wire shapes, after ShipBob's public API (version ``2026-01``): orders,
shipments with tracking, inventory levels by fulfillment center, returns.

Ids are integers; the merchant's keys are ``reference_id`` (an order's, a
return's, a product's SKU). Errors are ``{"statusCode", "message"}`` or, for
validation, ``{"field": ["message", ...]}``; a duplicate ``reference_id`` is 422.
"""

from __future__ import annotations

from datetime import datetime

import msgspec


class Address(msgspec.Struct, frozen=True, omit_defaults=True):
    address1: str
    city: str
    country: str
    zip_code: str
    address2: str = ""
    state: str = ""


class Recipient(msgspec.Struct, frozen=True):
    name: str
    address: Address


class ProductLine(msgspec.Struct, frozen=True):
    reference_id: str
    quantity: int


class OrderBody(msgspec.Struct, frozen=True):
    """``POST /{version}/order``."""

    reference_id: str
    order_number: str
    recipient: Recipient
    products: list[ProductLine]
    shipping_method: str = "Standard"
    type: str = "DTC"


class Order(msgspec.Struct, frozen=True):
    id: int
    reference_id: str
    status: str
    products: list[ProductLine] = []


class Tracking(msgspec.Struct, frozen=True):
    carrier: str
    tracking_number: str
    shipping_date: datetime
    tracking_url: str | None = None


class ShipmentItem(msgspec.Struct, frozen=True):
    quantity: int


class ShipmentProduct(msgspec.Struct, frozen=True):
    reference_id: str
    inventory_items: list[ShipmentItem] = []


class Location(msgspec.Struct, frozen=True):
    id: int
    name: str = ""


class Shipment(msgspec.Struct, frozen=True):
    """``GET /{version}/order/{orderId}/shipment``: one parcel; ``tracking`` once it left."""

    id: int
    order_id: int
    status: str
    location: Location | None = None
    tracking: Tracking | None = None
    products: list[ShipmentProduct] = []


class FacilityLevel(msgspec.Struct, frozen=True):
    location_id: int
    location_name: str = ""
    on_hand_quantity: int = 0
    fulfillable_quantity: int = 0
    committed_quantity: int = 0
    awaiting_quantity: int = 0


class InventoryLevel(msgspec.Struct, frozen=True):
    """``GET /{version}/inventory-level/locations``: one inventory item by fulfillment center."""

    inventory_id: int
    sku: str
    locations: list[FacilityLevel] = []


class ReturnItem(msgspec.Struct, frozen=True):
    sku: str
    quantity: int
    requested_action: str  # Restock, Quarantine, Dispose


class ReturnBody(msgspec.Struct, frozen=True):
    """``POST /{version}/return``."""

    reference_id: str
    original_order_reference_id: str
    fulfillment_center: Location
    inventory: list[ReturnItem]


class ActionTaken(msgspec.Struct, frozen=True):
    """What the 3PL did with some units of a returned item once it processed them."""

    action: str = ""  # Restock, Quarantine, Dispose
    quantity_processed: int = 0


class ReturnInventory(msgspec.Struct, frozen=True):
    sku: str = ""
    quantity: int = 0
    action_taken: list[ActionTaken] = []


class ReturnOrder(msgspec.Struct, frozen=True):
    """``GET /{version}/return``: one return order; ``inventory[].action_taken`` once processed."""

    id: int
    reference_id: str
    status: str  # AwaitingArrival, Arrived, Processing, Completed, Cancelled
    completed_date: str | None = None
    inventory: list[ReturnInventory] = []


class ErrorBody(msgspec.Struct, frozen=True, rename="camel"):
    status_code: int = 0
    message: str = ""
