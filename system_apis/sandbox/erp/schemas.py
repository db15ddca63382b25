"""CloudERP wire shapes (camelCase, money as two-place decimal strings)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec


class ErpModel(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """Base of every CloudERP payload."""


class QuantityPrice(ErpModel):
    min_quantity: int
    unit_price: str


class ErpItem(ErpModel):
    item_id: str
    display_name: str
    base_price: str
    currency_code: str
    item_status: Literal["ACTIVE", "DISCONTINUED"]
    final_sale: bool
    quantity_pricing: tuple[QuantityPrice, ...]
    last_modified: str


class ErpItemPage(ErpModel):
    items: list[ErpItem]
    offset: int
    limit: int
    total_results: int
    has_more: bool


class ErpCustomer(ErpModel):
    customer_id: str
    company_name: str
    terms: str
    credit_limit: str
    credit_hold: bool
    currency_code: str


class ErpCustomerPage(ErpModel):
    items: list[ErpCustomer]
    offset: int
    limit: int
    total_results: int
    has_more: bool


class ItemPrice(ErpModel):
    item_id: str
    unit_price: str


class CustomerItemPrices(ErpModel):
    customer_id: str
    item_prices: tuple[ItemPrice, ...]


class CustomerItemPricesPage(ErpModel):
    items: list[CustomerItemPrices]
    offset: int
    limit: int
    total_results: int
    has_more: bool


class ErpErrorDetail(ErpModel):
    code: str
    message: str


class ErpError(ErpModel):
    """``{"error": {"code": "RCRD_DSNT_EXIST", "message": "..."}}``."""

    error: ErpErrorDetail


THROTTLED = ErpError(error=ErpErrorDetail(code="SSS_REQUEST_LIMIT_EXCEEDED", message="Request limit exceeded"))


class PriceRecord(ErpModel):
    item_id: str
    base_price: str
    currency_code: str


class ErpEvent(ErpModel):
    """An ERP announcement, e.g. ``item.price.changed``."""

    event_id: str
    event_type: str
    occurred_at: str
    record: PriceRecord


class CustomerRecord(ErpModel):
    customer_id: str


class ErpCustomerEvent(ErpModel):
    """``customer.updated`` (terms, credit limit, hold) or ``customer.itemPrices.updated``."""

    event_id: str
    event_type: str
    occurred_at: str
    record: CustomerRecord


class CreditChange(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The body of ``PUT /sandbox/erp/customers/{id}/credit`` (a control): either or both."""

    credit_hold: bool | None = None
    credit_limit: Annotated[str, msgspec.Meta(pattern=r"^\d{1,9}(\.\d{1,2})?$")] | None = None


class ContractPriceChange(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The body of ``PUT /sandbox/erp/customers/{id}/item-prices/{sku}``: null removes the price."""

    unit_price: Annotated[str, msgspec.Meta(pattern=r"^\d{1,9}(\.\d{1,2})?$")] | None


class PriceChange(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The body of ``PUT /sandbox/erp/items/{sku}/price`` (a control, snake_case)."""

    list_price: Annotated[str, msgspec.Meta(pattern=r"^\d{1,9}(\.\d{1,2})?$")]
