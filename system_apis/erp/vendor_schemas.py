"""CloudERP's JSON, exactly as docs/vendors.md gives it (camelCase, money as decimal strings)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

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


class ErpItemPrice(ErpStruct):
    item_id: str
    unit_price: Decimal


class ErpItemPrices(ErpStruct):
    customer_id: str
    item_prices: list[ErpItemPrice] = []


class ErpErrorDetail(ErpStruct):
    code: str
    message: str = ""


class ErpErrorBody(ErpStruct):
    """``{"error": {"code": "RCRD_DSNT_EXIST" | "SSS_REQUEST_LIMIT_EXCEEDED" | ..., "message": ...}}``."""

    error: ErpErrorDetail
