"""QuickBooks Online Accounting API (v3) JSON, as the hub reads and writes it.

PascalCase on the wire (``SyncToken``, ``CustomField``); references, query
paging and fault details are lowercase (``{"value", "name"}``,
``startPosition``, ``code``). Money is a JSON number: decoded straight into
``Decimal``, and written from ``Decimal`` by ``encode_body`` (never a float).
Unknown fields are ignored: QBO adds fields without a new minor version.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

_NUMBERS = msgspec.json.Encoder(decimal_format="number")


class QboStruct(msgspec.Struct, rename="pascal", frozen=True, kw_only=True):
    """Base: PascalCase on the wire, unknown fields ignored, absent fields ``None``."""


class Ref(msgspec.Struct, frozen=True, kw_only=True):
    """``{"value": "3", "name": "Net 30"}``: a reference to another entity."""

    value: str
    name: str | None = None


class CustomField(QboStruct):
    """One custom field: ``{"DefinitionId", "Name", "Type": "StringType", "StringValue"}``."""

    definition_id: str
    name: str | None = None
    type: str = "StringType"
    string_value: str | None = None


class Item(QboStruct):
    id: str
    name: str
    sku: str | None = None
    description: str | None = None
    active: bool = True
    unit_price: Decimal = Decimal(0)
    sync_token: str = "0"


class Customer(QboStruct):
    id: str
    display_name: str
    company_name: str | None = None
    active: bool = True
    sales_term_ref: Ref | None = None
    currency_ref: Ref | None = None
    custom_field: list[CustomField] = []
    sync_token: str = "0"


class Transaction(QboStruct):
    """An Invoice, SalesReceipt, CreditMemo or RefundReceipt as read back."""

    id: str
    doc_number: str | None = None
    total_amt: Decimal = Decimal(0)
    currency_ref: Ref | None = None
    private_note: str | None = None
    custom_field: list[CustomField] = []
    sync_token: str = "0"


class QueryResponse(msgspec.Struct, frozen=True, kw_only=True):
    """``QueryResponse``: the entity list under its own name, absent when nothing matched."""

    item: list[Item] = msgspec.field(name="Item", default_factory=list)
    customer: list[Customer] = msgspec.field(name="Customer", default_factory=list)
    invoice: list[Transaction] = msgspec.field(name="Invoice", default_factory=list)
    sales_receipt: list[Transaction] = msgspec.field(name="SalesReceipt", default_factory=list)
    credit_memo: list[Transaction] = msgspec.field(name="CreditMemo", default_factory=list)
    refund_receipt: list[Transaction] = msgspec.field(name="RefundReceipt", default_factory=list)
    start_position: int = msgspec.field(name="startPosition", default=1)
    max_results: int = msgspec.field(name="maxResults", default=0)

    def transactions(self, entity: str) -> list[Transaction]:
        """The transactions found of ``entity`` (``Invoice``, ``SalesReceipt``, ``CreditMemo``, ``RefundReceipt``)."""
        return {"Invoice": self.invoice, "SalesReceipt": self.sales_receipt, "CreditMemo": self.credit_memo,
                "RefundReceipt": self.refund_receipt}.get(entity, [])


class QueryAnswer(QboStruct):
    query_response: QueryResponse


class TransactionAnswer(msgspec.Struct, frozen=True, kw_only=True):
    """A create, read or void answer: the entity under its own name."""

    invoice: Transaction | None = msgspec.field(name="Invoice", default=None)
    sales_receipt: Transaction | None = msgspec.field(name="SalesReceipt", default=None)
    credit_memo: Transaction | None = msgspec.field(name="CreditMemo", default=None)
    refund_receipt: Transaction | None = msgspec.field(name="RefundReceipt", default=None)

    def entity(self) -> Transaction | None:
        return self.invoice or self.sales_receipt or self.credit_memo or self.refund_receipt


class FaultError(msgspec.Struct, frozen=True, kw_only=True):
    message: str = msgspec.field(name="Message", default="")
    detail: str = msgspec.field(name="Detail", default="")
    code: str = ""
    element: str = ""


class Fault(msgspec.Struct, frozen=True, kw_only=True):
    error: list[FaultError] = msgspec.field(name="Error", default_factory=list)
    type: str = ""


class FaultBody(msgspec.Struct, frozen=True, kw_only=True):
    """``{"Fault": {"Error": [{"Message", "Detail", "code", "element"}], "type": "ValidationFault"}, "time"}``."""

    fault: Fault = msgspec.field(name="Fault")


# --- what the hub writes --------------------------------------------------------------


class LineDetail(QboStruct):
    item_ref: Ref
    qty: int
    unit_price: Decimal


class Line(QboStruct, kw_only=True):
    amount: Decimal
    detail_type: str = "SalesItemLineDetail"
    sales_item_line_detail: LineDetail


class Address(QboStruct, kw_only=True, omit_defaults=True):
    """``ShipAddr``: the addressee on ``Line1``, the street on ``Line2`` and ``Line3``."""

    line1: str
    line2: str
    line3: str | None = None
    city: str
    country_sub_division_code: str
    postal_code: str
    country: str


class TransactionBody(QboStruct, omit_defaults=True, kw_only=True):
    """The body of ``POST /invoice``, ``/salesreceipt``, ``/creditmemo`` or ``/refundreceipt``."""

    doc_number: str
    txn_date: str | None = None
    customer_ref: Ref | None = None
    currency_ref: Ref
    line: list[Line]
    private_note: str
    custom_field: list[CustomField] = []
    ship_addr: Address | None = None
    deposit_to_account_ref: Ref | None = None


class VoidBody(QboStruct):
    """``POST /creditmemo?operation=void``: the entity's ``Id`` and current ``SyncToken``, sparse."""

    id: str
    sync_token: str
    sparse: bool = msgspec.field(name="sparse", default=True)


def encode_body(body: msgspec.Struct) -> msgspec.Raw:
    """The body as QBO reads it, money as JSON numbers; ``VendorHttp.post`` sends it as is."""
    return msgspec.Raw(_NUMBERS.encode(body))
