"""NetSuite REST web services' wire shapes the adapter reads and writes.

SuiteQL rows carry every value as a string (booleans ``'T'``/``'F'``) and leave
null columns out, so every optional column has a default. Records use
NetSuite's camelCase field names; references are ``{"id", "refName"}``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Generic, TypeVar

import msgspec

Row = TypeVar("Row")


class Link(msgspec.Struct, frozen=True):
    rel: str
    href: str


class SuiteQlPage(msgspec.Struct, Generic[Row], frozen=True, rename="camel"):
    """The answer of ``POST /query/v1/suiteql``: one page of rows."""

    items: list[Row]
    has_more: bool = False
    count: int = 0
    offset: int = 0
    total_results: int | None = None
    links: list[Link] = []


class ItemRow(msgspec.Struct, frozen=True):
    id: str
    itemid: str
    displayname: str | None = None
    isinactive: str = "F"
    custitem_hub_final_sale: str = "F"


class PriceRow(msgspec.Struct, frozen=True):
    item: str
    unitprice: Decimal
    quantity: str = "0"


class CustomerRow(msgspec.Struct, frozen=True):
    id: str
    entityid: str
    companyname: str | None = None
    terms: str | None = None
    currency: str | None = None
    creditlimit: Decimal | None = None
    creditholdoverride: str = "AUTO"


class CustomerPriceRow(msgspec.Struct, frozen=True):
    customer: str
    item: str
    price: Decimal


class IdName(msgspec.Struct, frozen=True):
    """A row of ``term`` (``name``) or ``currency`` (``symbol``)."""

    id: str
    name: str | None = None
    symbol: str | None = None


class ItemKey(msgspec.Struct, frozen=True):
    id: str
    itemid: str


class Ref(msgspec.Struct, frozen=True, rename={"ref_name": "refName"}, omit_defaults=True):
    id: str
    ref_name: str | None = None


class Line(msgspec.Struct, frozen=True, omit_defaults=True):
    item: Ref
    quantity: int
    rate: Decimal
    amount: Decimal | None = None


class Sublist(msgspec.Struct, frozen=True):
    items: list[Line]


class ShippingAddress(msgspec.Struct, frozen=True, omit_defaults=True):
    addressee: str
    addr1: str
    city: str
    zip: str
    country: str
    addr2: str = ""
    state: str = ""


class TransactionBody(msgspec.Struct, frozen=True, rename="camel", omit_defaults=True):
    """The body of an upsert (``PUT .../salesOrder/eid:{order id}``, ``.../creditMemo/eid:{rma id}``)."""

    entity: Ref
    currency: Ref
    item: Sublist
    other_ref_num: str | None = None
    memo: str | None = None
    shipping_address: ShippingAddress | None = None


class VoidBody(msgspec.Struct, frozen=True):
    """The body of the void ``PATCH``: memo ``VOID`` and every line at rate 0."""

    memo: str
    item: Sublist


class TransactionRecord(msgspec.Struct, frozen=True, rename="camel"):
    """A sales order or credit memo as ``GET /record/v1/{type}/{id}`` answers it."""

    id: str
    tran_id: str
    total: Decimal
    external_id: str | None = None
    currency: Ref | None = None
    memo: str | None = None
    item: Sublist | None = None


class ErrorDetail(msgspec.Struct, frozen=True, omit_defaults=True,
                  rename={"error_code": "o:errorCode", "error_path": "o:errorPath"}):
    detail: str = ""
    error_code: str | None = None
    error_path: str | None = None


class ErrorBody(msgspec.Struct, frozen=True, omit_defaults=True, rename={"error_details": "o:errorDetails"}):
    """Every NetSuite REST error: the status and its ``o:errorDetails``."""

    type: str = ""
    title: str = ""
    status: int = 0
    error_details: list[ErrorDetail] = []


_NUMBERS = msgspec.json.Encoder(decimal_format="number")


def encode_body(body: msgspec.Struct) -> msgspec.Raw:
    """A record body with money as JSON numbers, sent as is."""
    return msgspec.Raw(_NUMBERS.encode(body))
