"""Canonical models: the hub's own words for what the back office holds.

System APIs map vendor payloads to these; process and experience APIs never
see a vendor shape. Money is ``Decimal`` (a decimal string on the wire) with
its ISO 4217 currency beside it; quantities are ``int``; times are UTC.
New fields always get defaults, so older peers keep decoding.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import msgspec


class Model(msgspec.Struct, frozen=True, kw_only=True):
    """Base for canonical Structs: immutable, keyword-built."""


class PriceBreak(Model):
    min_quantity: int
    unit_price: Decimal


class Item(Model):
    """An item of the ERP's item master with its list pricing."""

    sku: str
    name: str
    currency: str
    list_price: Decimal
    orderable: bool = True
    final_sale: bool = False
    breaks: tuple[PriceBreak, ...] = ()
    modified_at: datetime | None = None
    as_of: datetime | None = None
    """When the hub last heard this record from the ERP (set by the ERP replica; None when read live)."""


class ItemPage(Model):
    items: tuple[Item, ...]
    next_offset: int | None = None


class Customer(Model):
    customer_id: str
    name: str
    terms: str
    currency: str
    credit_limit: Decimal
    credit_hold: bool = False
    as_of: datetime | None = None
    """As ``Item.as_of``."""


class CustomerPage(Model):
    items: tuple[Customer, ...]
    next_offset: int | None = None


class ContractPrices(Model):
    """A customer's contract prices by SKU (empty when the customer has none)."""

    customer_id: str
    prices: dict[str, Decimal] = {}
    as_of: datetime | None = None
    """As ``Item.as_of``."""


class ContractPricesPage(Model):
    """A page of every customer's contract price list (customers with none included, empty)."""

    items: tuple[ContractPrices, ...]
    next_offset: int | None = None


class ErpRecordChanged(Model):
    """The ERP announced that a record changed: an ``item``, a ``customer`` (terms, credit limit,
    hold) or a customer's ``contract`` prices; ``key`` is the SKU or the customer id."""

    kind: str
    key: str


class StockLevel(Model):
    """Stock of one SKU at one location (a warehouse or a store)."""

    sku: str
    location: str
    on_hand: int
    available: int
    sequence: int = 0
    as_of: datetime | None = None


# --- Orders and what the back office does with them -------------------------------


class Address(Model, kw_only=True):
    name: str
    line1: str
    city: str
    postal_code: str
    country: str
    line2: str = ""
    region: str = ""


class OrderLine(Model, kw_only=True):
    sku: str
    quantity: int
    unit_price: Decimal
    extended_price: Decimal


class SalesOrder(Model, kw_only=True):
    """An accepted order as the ERP is asked to book it; ``order_id`` is the hub's
    id, sent as the external reference and the idempotency key."""

    order_id: str
    channel: str
    channel_order_ref: str | None = None
    customer_id: str | None = None
    po_number: str | None = None
    currency: str
    lines: tuple[OrderLine, ...]
    total: Decimal
    ship_to: Address | None = None
    created_at: datetime


class ErpOrderRef(Model, kw_only=True):
    erp_order_number: str


class SalesOrderRecord(Model, kw_only=True):
    """What the ERP holds for a sales order the hub posted (reconciliation compares it)."""

    order_id: str
    """The hub's order id, the sales order's external reference."""
    erp_order_number: str
    total: Decimal
    currency: str
    status: str = "open"


class FulfilmentLine(Model, kw_only=True):
    sku: str
    quantity: int


class FulfilmentRequest(Model, kw_only=True):
    """What the WMS is asked to pick, pack and ship for one order (idempotent on ``order_id``)."""

    order_id: str
    lines: tuple[FulfilmentLine, ...]
    ship_to: Address | None = None


class FulfilmentRef(Model, kw_only=True):
    fulfilment_id: str


class ShipmentConfirmed(Model, kw_only=True):
    """The WMS shipped (part of) an order."""

    shipment_id: str
    order_id: str
    carrier: str
    tracking_number: str
    shipped_at: datetime
    lines: tuple[FulfilmentLine, ...]


class StockChanged(Model, kw_only=True):
    """A backend's stock at one (sku, location) changed; ``sequence`` orders the changes."""

    sku: str
    location: str
    on_hand: int
    available: int
    sequence: int
    source: str | None = None
    """The stock source that reported it (``wms``, ``pos``), set by the inbound hook (issue 11)."""


class StockChanges(Model, kw_only=True):
    """The stock reports of one batched delivery, queued as one message (``stock.changed.batch``):
    applied together, each by the sequence rule of ``StockChanged``."""

    changes: tuple[StockChanged, ...]


class ReturnReceived(Model, kw_only=True):
    """The WMS received a return (issue 5)."""

    rma_id: str
    lines: tuple[FulfilmentLine, ...] = ()


class ChannelOrderLine(Model, kw_only=True):
    sku: str
    quantity: int
    unit_price: Decimal


class ChannelOrder(Model, kw_only=True):
    """An order that arrived from a channel's own platform (a storefront or marketplace), mapped to canonical
    terms; it goes through the same order capture as the hub's own channels."""

    channel: str
    channel_order_ref: str
    currency: str
    lines: tuple[ChannelOrderLine, ...]
    total: Decimal
    ship_to: Address | None = None
    email: str | None = None
    shop: str | None = None


class CreditMemoRequest(Model, kw_only=True):
    """A credit memo for a return (issue 5); ``rma_id`` is the external ref and idempotency key."""

    rma_id: str
    order_id: str
    erp_order_number: str | None = None
    customer_id: str | None = None
    currency: str
    lines: tuple[OrderLine, ...]
    amount: Decimal


class CreditMemoRef(Model, kw_only=True):
    credit_memo_id: str


class ReceiptLine(Model, kw_only=True):
    sku: str
    quantity: int
    disposition: str
    """``restock`` (back to sellable stock), ``inspect`` (quarantine) or ``scrap``."""


class ExpectedReceipt(Model, kw_only=True):
    """A return the WMS should expect (issue 5); idempotent on ``rma_id``."""

    rma_id: str
    order_id: str
    lines: tuple[ReceiptLine, ...]


class Refund(Model, kw_only=True):
    refund_id: str
    authorization_id: str
    amount: Decimal
    currency: str
    status: str
    """``succeeded`` or ``pending``."""


class PaymentAuthorization(Model, kw_only=True):
    authorization_id: str
    amount: Decimal
    currency: str
    status: str
    """``authorized``, ``captured`` or ``voided``."""
