"""The sandbox legacy ERP's state: the seed as its tables, and the documents booked.

Operations take and give ``soap`` field lists; a refusal is an ``ErpFault``
(a SOAP fault with the ERP's code). A document's ``ExternalRef`` is unique,
which is what makes a retried write safe. Mutations never await.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree.ElementTree import Element

from system_apis.legacy_erp.soap import Fields, children, text
from system_apis.sandbox import seed
from system_apis.sandbox.books import Book
from system_apis.sandbox.config import SandboxConfig
from system_apis.sandbox.events import Announcer
from system_apis.sandbox.formats import money

Record = dict[str, Any]


class ErpFault(Exception):
    """A SOAP fault: ``Client`` (the request is wrong) or ``Server``, with the ERP's ``code``."""

    def __init__(self, code: str, message: str, faultcode: str = "Client") -> None:
        self.code, self.faultcode = code, faultcode
        super().__init__(message)


def _required(request: Element, tag: str) -> str:
    value = text(request, tag)
    if not value:
        raise ErpFault("MISSING_FIELD", f"{tag} is required")
    return value


def _decimal(request: Element, tag: str) -> Decimal:
    try:
        return Decimal(_required(request, tag))
    except InvalidOperation:
        raise ErpFault("INVALID_FIELD", f"{tag} is not a number") from None


class LegacyErpBackend:
    """Items, customers and contract prices from the seed; sales orders and credit memos booked."""

    name = "legacy_erp"
    username, password = "hub", "legacy-sandbox"

    def __init__(self, announcer: Announcer, config: SandboxConfig | None = None) -> None:
        self.announcer = announcer
        self.orders: Book[Record] = Book("SO", 500001)
        self.memos: Book[Record] = Book("CM", 700001)
        self.reset()

    def reset(self) -> None:
        self.orders.reset()
        self.memos.reset()
        self.items = {s.sku: s for s in seed.ITEMS}
        self.customers = {s.customer_id: s for s in seed.CUSTOMERS}

    def operations(self) -> dict[str, Callable[[Element], Fields]]:
        return {"GetCustomer": self.get_customer, "SubmitSalesOrder": self.submit_sales_order,
                "FindSalesOrder": self.find_sales_order, "CreateCreditMemo": self.create_credit_memo,
                "FindCreditMemo": self.find_credit_memo, "VoidCreditMemo": self.void_credit_memo,
                "GetServerInfo": self.get_server_info}

    # --- SOAP operations ---------------------------------------------------------------

    def get_server_info(self, request: Element) -> Fields:
        """The service's version and clock: a read with no record, the hub's health probe."""
        return [("ServerInfo", [("Version", "7.2"), ("ServerTime", datetime.now(UTC).isoformat())])]

    def get_customer(self, request: Element) -> Fields:
        customer = self.customers.get(_required(request, "CustomerNo"))
        if customer is None:
            raise ErpFault("CUSTOMER_NOT_FOUND", "Customer does not exist")
        return [("Customer", [("CustomerNo", customer.customer_id), ("Name", customer.name), ("Terms", customer.terms),
                              ("CreditLimit", money(customer.credit_limit)), ("Currency", seed.CURRENCY),
                              ("OnHold", "true" if customer.credit_hold else "false")])]

    def submit_sales_order(self, request: Element) -> Fields:
        ref = _required(request, "ExternalRef")
        if self.orders.find(ref=ref) is not None:
            raise ErpFault("DUPLICATE_EXTERNAL_REF", f"A sales order with reference {ref} exists")
        customer = self._customer(text(request, "CustomerNo"))
        lines = self._lines(request)
        total = _decimal(request, "Total")
        if total != sum((qty * price for _, qty, price in lines), Decimal(0)):
            raise ErpFault("TOTAL_MISMATCH", "Total does not equal the sum of the lines")
        number = self.orders.new_id()
        order = {"OrderNo": number, "ExternalRef": ref, "ChannelRef": text(request, "ChannelRef"),
                 "CustomerNo": customer, "Currency": _required(request, "Currency"), "Total": total, "Lines": lines,
                 "Status": "OPEN"}
        return [("SalesOrder", _order_fields(self.orders.add(number, order, ref=ref)))]

    def find_sales_order(self, request: Element) -> Fields:
        return _found(self.orders, request, "SalesOrder", _order_fields)

    def create_credit_memo(self, request: Element) -> Fields:
        ref = _required(request, "ExternalRef")
        if self.memos.find(ref=ref) is not None:
            raise ErpFault("DUPLICATE_EXTERNAL_REF", f"A credit memo with reference {ref} exists")
        order_no = text(request, "OrderNo")
        if order_no and self.orders.get(order_no) is None:
            raise ErpFault("INVALID_REFERENCE", f"Sales order {order_no} does not exist")
        customer = self._customer(text(request, "CustomerNo"))
        amount = _decimal(request, "Amount")
        if amount <= 0:
            raise ErpFault("INVALID_FIELD", "Amount must be greater than 0")
        number = self.memos.new_id()
        memo = {"CreditMemoNo": number, "ExternalRef": ref, "OrderNo": order_no, "CustomerNo": customer,
                "Currency": _required(request, "Currency"), "Amount": amount, "Lines": self._lines(request),
                "Status": "OPEN"}
        return [("CreditMemo", _memo_fields(self.memos.add(number, memo, ref=ref)))]

    def find_credit_memo(self, request: Element) -> Fields:
        return _found(self.memos, request, "CreditMemo", _memo_fields)

    def void_credit_memo(self, request: Element) -> Fields:
        memo = self.memos.get(_required(request, "CreditMemoNo"))
        if memo is None:
            raise ErpFault("CREDIT_MEMO_NOT_FOUND", "Credit memo does not exist")
        memo["Status"] = "VOID"
        return [("CreditMemo", _memo_fields(memo))]

    def _customer(self, customer_no: str | None) -> str | None:
        """``None`` books to the cash-sale account."""
        if customer_no and customer_no not in self.customers:
            raise ErpFault("INVALID_REFERENCE", f"Customer {customer_no} does not exist")
        return customer_no or None

    def _lines(self, request: Element) -> list[tuple[str, int, Decimal]]:
        lines = []
        for line in children(request, "Lines/Line"):
            sku = _required(line, "ItemNo")
            if sku not in self.items:
                raise ErpFault("INVALID_REFERENCE", f"Item {sku} does not exist")
            try:
                qty = int(_required(line, "Qty"))
            except ValueError:
                raise ErpFault("INVALID_FIELD", "Qty is not a whole number") from None
            lines.append((sku, qty, _decimal(line, "UnitPrice")))
        if not lines:
            raise ErpFault("MISSING_FIELD", "Lines are required")
        return lines

    # --- nightly exports ---------------------------------------------------------------

    def export(self, name: str) -> str | None:
        """The CSV export ``name`` as of now, or ``None`` for a file the ERP does not write."""
        tables = {
            "items.csv": (ITEM_COLUMNS, [item_row(s) for s in self.items.values()]),
            "quantity_breaks.csv": (("ITEM_NO", "MIN_QTY", "UNIT_PRICE"), [
                (s.sku, str(b.min_quantity), money(b.unit_price)) for s in self.items.values() for b in s.breaks]),
            "customers.csv": (CUSTOMER_COLUMNS, [customer_row(c) for c in self.customers.values()]),
            "contract_prices.csv": (CONTRACT_COLUMNS, [r for c in self.customers.values() for r in contract_rows(c)]),
        }
        if name not in tables:
            return None
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(tables[name][0])
        writer.writerows(tables[name][1])
        return out.getvalue()

    # --- views -------------------------------------------------------------------------

    def sales_order_views(self, external_ref: str | None, channel_order_ref: str | None) -> list[Record]:
        return [_view(o, "OrderNo") for o in self.orders.values()
                if external_ref in (None, o["ExternalRef"]) and channel_order_ref in (None, o["ChannelRef"])]

    def credit_memo_views(self, external_ref: str | None) -> list[Record]:
        return [_view(m, "CreditMemoNo") for m in self.memos.values() if external_ref in (None, m["ExternalRef"])]


ITEM_COLUMNS = ("ITEM_NO", "DESCRIPTION", "LIST_PRICE", "CURRENCY", "STATUS", "FINAL_SALE")
CUSTOMER_COLUMNS = ("CUSTOMER_NO", "NAME", "TERMS", "CREDIT_LIMIT", "CURRENCY", "ON_HOLD")
CONTRACT_COLUMNS = ("CUSTOMER_NO", "ITEM_NO", "UNIT_PRICE")


def item_row(s: seed.SeedItem) -> tuple[str, ...]:
    """The item's line of ``items.csv``."""
    return (s.sku, s.name, money(s.list_price), seed.CURRENCY, "D" if s.discontinued else "A",
            "Y" if s.final_sale else "N")


def customer_row(c: seed.SeedCustomer) -> tuple[str, ...]:
    """The customer's line of ``customers.csv``."""
    return (c.customer_id, c.name, c.terms, money(c.credit_limit), seed.CURRENCY, "Y" if c.credit_hold else "N")


def contract_rows(c: seed.SeedCustomer) -> list[tuple[str, ...]]:
    """The customer's lines of ``contract_prices.csv``."""
    return [(c.customer_id, sku, money(price)) for sku, price in c.contract_prices]


def _found(book: Book[Record], request: Element, record: str, fields: Callable[[Record], Fields]) -> Fields:
    """The one document booked under the request's ``ExternalRef``, or none."""
    found = book.find(ref=_required(request, "ExternalRef"))
    return [(record, fields(found))] if found else []


def _order_fields(order: Record) -> Fields:
    return [("OrderNo", order["OrderNo"]), ("ExternalRef", order["ExternalRef"]), ("Status", order["Status"]),
            ("Total", money(order["Total"])), ("Currency", order["Currency"])]


def _memo_fields(memo: Record) -> Fields:
    return [("CreditMemoNo", memo["CreditMemoNo"]), ("ExternalRef", memo["ExternalRef"]), ("Status", memo["Status"]),
            ("Amount", money(memo["Amount"])), ("Currency", memo["Currency"])]


def _view(record: Record, number: str) -> Record:
    amount = record.get("Total", record.get("Amount"))
    return {"external_ref": record["ExternalRef"], "channel_order_ref": record.get("ChannelRef"),
            "erp_order_number": record.get("OrderNo"), "credit_memo_id": record.get("CreditMemoNo"),
            "number": record[number], "customer_id": record["CustomerNo"], "currency": record["Currency"],
            "lines": [{"sku": sku, "quantity": qty, "unit_price": money(price)} for sku, qty, price in record["Lines"]],
            "total": money(amount), "amount": money(amount), "status": record["Status"].lower()}
