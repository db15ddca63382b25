"""CloudERP transaction shapes: sales orders and credit memos (camelCase), and their check views.

Requests (``...In``) are what the vendor accepts, validated on decode; the
records are what it answers. The views under ``/sandbox/erp/`` are sandbox
controls, so they are snake_case like every control.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from system_apis.sandbox.erp.schemas import ErpModel

Money = Annotated[str, msgspec.Meta(pattern=r"^\d{1,9}(\.\d{1,2})?$")]
Quantity = Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]
Ref = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
Currency = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")]


class ErpAddress(ErpModel):
    """``shipTo``: ``{"addressee", "addr1", "addr2", "city", "state", "zip", "country"}``."""

    addressee: str
    addr1: str
    city: str
    zip: str
    country: str
    addr2: str = ""
    state: str = ""


class TransactionLineIn(ErpModel, forbid_unknown_fields=True):
    item_id: Ref
    quantity: Quantity
    unit_price: Money


class SalesOrderIn(ErpModel, forbid_unknown_fields=True):
    """The body of ``POST /api/v1/salesOrders``."""

    external_ref: Ref
    channel: Ref
    currency_code: Currency
    lines: Annotated[tuple[TransactionLineIn, ...], msgspec.Meta(min_length=1, max_length=500)]
    total: Money
    channel_order_ref: str | None = None
    customer_id: str | None = None
    po_number: str | None = None
    ship_to: ErpAddress | None = None
    order_date: str | None = None


class CreditMemoIn(ErpModel, forbid_unknown_fields=True):
    """The body of ``POST /api/v1/creditMemos``; ``externalRef`` is the RMA id."""

    external_ref: Ref
    currency_code: Currency
    amount: Money
    created_from: str | None = None
    order_external_ref: str | None = None
    customer_id: str | None = None
    lines: Annotated[tuple[TransactionLineIn, ...], msgspec.Meta(max_length=500)] = ()


class TransactionLine(ErpModel):
    line_number: int
    item_id: str
    quantity: int
    unit_price: str
    amount: str


class ErpSalesOrder(ErpModel):
    sales_order_id: str
    external_ref: str
    channel: str
    channel_order_ref: str | None
    customer_id: str | None
    po_number: str | None
    currency_code: str
    lines: tuple[TransactionLine, ...]
    total: str
    ship_to: ErpAddress | None
    order_date: str | None
    status: Literal["OPEN"]
    created_at: str


class ErpSalesOrderList(ErpModel):
    """``GET /api/v1/salesOrders?externalRef=``: the search answer (at most one per reference)."""

    items: list[ErpSalesOrder]
    count: int


class ErpCreditMemo(ErpModel):
    credit_memo_id: str
    external_ref: str
    created_from: str | None
    order_external_ref: str | None
    customer_id: str | None
    currency_code: str
    lines: tuple[TransactionLine, ...]
    amount: str
    status: Literal["OPEN", "VOID"]
    created_at: str
    voided_at: str | None = None


# --- check views (sandbox controls, snake_case) ----------------------------------


class ViewLine(msgspec.Struct, frozen=True, kw_only=True):
    sku: str
    quantity: int
    unit_price: str


class SalesOrderView(msgspec.Struct, frozen=True, kw_only=True):
    external_ref: str
    erp_order_number: str
    channel: str
    channel_order_ref: str | None
    customer_id: str | None
    po_number: str | None
    currency: str
    lines: list[ViewLine]
    total: str
    status: str
    created_at: str


class CreditMemoView(msgspec.Struct, frozen=True, kw_only=True):
    credit_memo_id: str
    external_ref: str
    erp_order_number: str | None
    order_ref: str | None
    customer_id: str | None
    currency: str
    lines: list[ViewLine]
    amount: str
    status: Literal["open", "void"]
    created_at: str


class SalesOrderViews(msgspec.Struct, frozen=True):
    items: list[SalesOrderView]


class CreditMemoViews(msgspec.Struct, frozen=True):
    items: list[CreditMemoView]
