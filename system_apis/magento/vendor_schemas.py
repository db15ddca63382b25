"""Adobe Commerce / Magento 2 REST (``/rest/V1``) JSON: orders, shipments, credit memos, MSI
source items, search results and errors. The sandbox serves these shapes too."""

from __future__ import annotations

from decimal import Decimal

import msgspec


class Mage(msgspec.Struct, kw_only=True):
    """Base: unknown fields are ignored."""


class MageAddress(Mage, kw_only=True):
    firstname: str = ""
    lastname: str = ""
    street: list[str] = []
    city: str = ""
    region_code: str = ""
    postcode: str = ""
    country_id: str = ""


class MageShipping(Mage, kw_only=True):
    address: MageAddress | None = None


class MageAssignment(Mage, kw_only=True):
    shipping: MageShipping = msgspec.field(default_factory=MageShipping)


class MageOrderExtension(Mage, kw_only=True):
    shipping_assignments: list[MageAssignment] = []


class MageItem(Mage, kw_only=True):
    item_id: int
    sku: str
    qty_ordered: Decimal
    price: Decimal
    parent_item_id: int | None = None
    """A configurable product's child line: the parent carries the price, the child the SKU."""


class MageOrder(Mage, kw_only=True):
    entity_id: int
    increment_id: str = ""
    state: str = "new"
    status: str = "pending"
    order_currency_code: str = "USD"
    grand_total: Decimal
    customer_email: str = ""
    created_at: str = ""
    items: list[MageItem] = []
    extension_attributes: MageOrderExtension = msgspec.field(default_factory=MageOrderExtension)


class MageComment(Mage, kw_only=True):
    comment: str
    is_visible_on_front: int = 0


class MageTrack(Mage, kw_only=True):
    track_number: str
    title: str
    carrier_code: str = "custom"


class MageItemQty(Mage, kw_only=True):
    order_item_id: int
    qty: int


class ShipBody(Mage, kw_only=True):
    """``POST /V1/order/{orderId}/ship``; answers the shipment id."""

    items: list[MageItemQty] = []
    notify: bool = True
    tracks: list[MageTrack] = []
    comment: MageComment | None = None


class RefundArguments(Mage, kw_only=True):
    shipping_amount: Decimal = Decimal("0")
    adjustment_positive: Decimal = Decimal("0")
    adjustment_negative: Decimal = Decimal("0")


class RefundBody(Mage, kw_only=True):
    """``POST /V1/order/{orderId}/refund`` (offline); answers the credit memo id."""

    items: list[MageItemQty] = []
    notify: bool = False
    comment: MageComment | None = None
    arguments: RefundArguments = msgspec.field(default_factory=RefundArguments)


class MageShipment(Mage, kw_only=True):
    entity_id: int
    order_id: int
    tracks: list[MageTrack] = []
    comments: list[MageComment] = []


class MageCreditMemo(Mage, kw_only=True):
    entity_id: int
    order_id: int
    grand_total: Decimal
    comments: list[MageComment] = []


class SourceItem(Mage, kw_only=True):
    sku: str
    source_code: str
    quantity: Decimal
    status: int = 1


class SourceItems(Mage, kw_only=True):
    """``POST /V1/inventory/source-items`` (MSI)."""

    sourceItems: list[SourceItem]  # noqa: N815 (the vendor's name)


class OrderResults(Mage, kw_only=True):
    items: list[MageOrder] = []
    total_count: int = 0


class ShipmentResults(Mage, kw_only=True):
    items: list[MageShipment] = []
    total_count: int = 0


class CreditMemoResults(Mage, kw_only=True):
    items: list[MageCreditMemo] = []
    total_count: int = 0


class SourceItemResults(Mage, kw_only=True):
    items: list[SourceItem] = []
    total_count: int = 0


class MageError(Mage, kw_only=True):
    """Every Magento REST error: ``{"message", "parameters"}`` (``%1`` placeholders filled from them)."""

    message: str
    parameters: list[object] | dict[str, object] = []
