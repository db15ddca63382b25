"""The legacy ERP's SOAP messages <-> canonical: pure functions over ``soap`` fields and elements."""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal
from xml.etree.ElementTree import Element

from shared import models as hub
from shared.errors import BackendError
from system_apis.legacy_erp.soap import Fields, children, text

BACKEND = "legacy_erp"
_CENT = Decimal("0.01")


def money(amount: Decimal) -> str:
    return format(amount.quantize(_CENT), "f")


def _lines(lines: tuple[hub.OrderLine, ...]) -> Fields:
    return [("Line", [("ItemNo", line.sku), ("Qty", str(line.quantity)), ("UnitPrice", money(line.unit_price))])
            for line in lines]


def _ship_to(address: hub.Address | None) -> Fields | None:
    if address is None:
        return None
    return [("Name", address.name), ("Street1", address.line1), ("Street2", address.line2 or None),
            ("City", address.city), ("State", address.region), ("Zip", address.postal_code),
            ("Country", address.country)]


def sales_order_fields(order: hub.SalesOrder) -> Fields:
    """``SubmitSalesOrder``: no customer is a cash sale; ``ExternalRef`` is unique in the ERP."""
    created = order.created_at if order.created_at.tzinfo else order.created_at.replace(tzinfo=UTC)
    return [("ExternalRef", order.order_id), ("Channel", order.channel), ("ChannelRef", order.channel_order_ref),
            ("PoNumber", order.po_number), ("CustomerNo", order.customer_id), ("Currency", order.currency),
            ("OrderDate", created.astimezone(UTC).strftime("%Y-%m-%d")), ("Total", money(order.total)),
            ("ShipTo", _ship_to(order.ship_to)), ("Lines", _lines(order.lines))]


def credit_memo_fields(memo: hub.CreditMemoRequest) -> Fields:
    return [("ExternalRef", memo.rma_id), ("OrderRef", memo.order_id), ("OrderNo", memo.erp_order_number),
            ("CustomerNo", memo.customer_id), ("Currency", memo.currency), ("Amount", money(memo.amount)),
            ("Lines", _lines(memo.lines))]


def _required(element: Element, tag: str) -> str:
    value = text(element, tag)
    if value is None:
        raise BackendError(f"unexpected LEGACY_ERP response: no {tag}", backend=BACKEND)
    return value


def answer(response: Element, record: str) -> Element | None:
    """The ``record`` element of an operation's response (``None`` when it holds none)."""
    found = children(response, record)
    return found[0] if found else None


def to_customer(element: Element) -> hub.Customer:
    return hub.Customer(customer_id=_required(element, "CustomerNo"), name=_required(element, "Name"),
                        terms=_required(element, "Terms"), currency=_required(element, "Currency"),
                        credit_limit=Decimal(_required(element, "CreditLimit")),
                        credit_hold=_required(element, "OnHold").lower() == "true")


def to_order_ref(element: Element) -> hub.ErpOrderRef:
    return hub.ErpOrderRef(erp_order_number=_required(element, "OrderNo"))


def to_sales_order_record(element: Element) -> hub.SalesOrderRecord:
    return hub.SalesOrderRecord(order_id=_required(element, "ExternalRef"), erp_order_number=_required(element, "OrderNo"),
                                total=Decimal(_required(element, "Total")), currency=_required(element, "Currency"),
                                status=_required(element, "Status").lower())


def to_credit_memo_ref(element: Element) -> hub.CreditMemoRef:
    return hub.CreditMemoRef(credit_memo_id=_required(element, "CreditMemoNo"))

