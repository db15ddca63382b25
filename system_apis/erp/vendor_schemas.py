"""CloudERP's JSON, exactly as docs/vendors/clouderp.md gives it (camelCase, money as decimal strings)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

import msgspec


class ErpStruct(msgspec.Struct, rename="camel", frozen=True):
    """Base: camelCase on the wire, unknown fields ignored; defaulted fields last."""


class QuantityPrice(ErpStruct):
    min_quantity: int
    unit_price: Decimal


class ErpItem(ErpStruct):
    item_id: str
    display_name: str
    base_price: Decimal
    currency_code: str
    item_status: str
    final_sale: bool = False
    quantity_pricing: list[QuantityPrice] = []
    last_modified: datetime | None = None


class ErpItemList(ErpStruct):
    items: list[ErpItem]
    offset: int
    limit: int
    total_results: int
    has_more: bool


class ErpCustomer(ErpStruct):
    customer_id: str
    company_name: str
    terms: str
    credit_limit: Decimal
    currency_code: str
    credit_hold: bool = False


class ErpCustomerList(ErpStruct):
    items: list[ErpCustomer]
    offset: int
    limit: int
    total_results: int
    has_more: bool


class ErpItemPrice(ErpStruct):
    item_id: str
    unit_price: Decimal


class ErpItemPrices(ErpStruct):
    customer_id: str
    item_prices: list[ErpItemPrice] = []


class ErpItemPricesList(ErpStruct):
    items: list[ErpItemPrices]
    offset: int
    limit: int
    total_results: int
    has_more: bool


class ErpErrorDetail(ErpStruct):
    code: str
    message: str = ""


class ErpErrorBody(ErpStruct):
    """``{"error": {"code": "RCRD_DSNT_EXIST" | "SSS_REQUEST_LIMIT_EXCEEDED" | ..., "message": ...}}``."""

    error: ErpErrorDetail


# --- transactions: what the hub sends (requests) and reads back ---------------------


class ErpOut(msgspec.Struct, rename="camel", frozen=True, kw_only=True):
    """Base of request bodies: camelCase, every field sent."""


class ErpAddressOut(ErpOut):
    addressee: str
    addr1: str
    addr2: str
    city: str
    state: str
    zip: str
    country: str


class ErpLineOut(ErpOut):
    item_id: str
    quantity: int
    unit_price: str


class ErpSalesOrderBody(ErpOut):
    """``POST /api/v1/salesOrders``."""

    external_ref: str
    channel: str
    channel_order_ref: str | None
    customer_id: str | None
    po_number: str | None
    currency_code: str
    lines: list[ErpLineOut]
    total: str
    ship_to: ErpAddressOut | None
    order_date: str


class ErpCreditMemoBody(ErpOut):
    """``POST /api/v1/creditMemos``; ``externalRef`` is the RMA id."""

    external_ref: str
    created_from: str | None
    order_external_ref: str
    customer_id: str | None
    currency_code: str
    amount: str
    lines: list[ErpLineOut]


class ErpSalesOrder(ErpStruct):
    sales_order_id: str
    external_ref: str
    status: str
    total: Decimal | None = None
    currency_code: str | None = None


class ErpSalesOrderList(ErpStruct):
    """``GET /api/v1/salesOrders?externalRef=``: the matching sales orders (at most one)."""

    items: list[ErpSalesOrder]
    count: int


class ErpCreditMemo(ErpStruct):
    credit_memo_id: str
    external_ref: str
    status: str
    amount: Decimal


class ErpPriceRecord(ErpStruct):
    item_id: str


class ErpPriceChanged(ErpStruct):
    """The announcement ``{"eventId", "eventType": "item.price.changed", "occurredAt", "record": {"itemId", ...}}``."""

    event_type: Literal["item.price.changed"]
    record: ErpPriceRecord


class ErpEventHead(ErpStruct):
    """What every announcement starts with: its type picks the record's shape."""

    event_type: str


class ErpCustomerRecord(ErpStruct):
    customer_id: str


class ErpCustomerChanged(ErpStruct):
    """``{"eventId", "eventType": "customer.updated" | "customer.itemPrices.updated", "occurredAt",
    "record": {"customerId"}}``: terms, credit limit or hold, or the contract prices, changed."""

    event_type: Literal["customer.updated", "customer.itemPrices.updated"]
    record: ErpCustomerRecord
