"""QuickBooks Online <-> canonical: pure functions, no I/O.

Where QBO has no field for what the hub needs, the mapping below is the
convention a company keeps in QuickBooks (docs/vendors/quickbooks.md):

- the hub's customer id is the customer's ``DisplayName`` (unique per company,
  queryable); its name is ``CompanyName``; terms are ``SalesTermRef.name``
  written without spaces in capitals (``Net 30`` -> ``NET30``);
- credit limit, credit hold and contract prices are customer custom fields
  ``Credit Limit`` (``5000.00``; none set is a limit of 0), ``Credit Hold``
  (``Yes``/``No``) and ``Contract Prices`` (``SKU-1001=99.00; SKU-1002=20.00``);
- the SKU is the item's ``Sku``; an inactive item is discontinued; quantity
  breaks and final sale are lines of the item's sales ``Description``:
  ``Volume price: 10+ @ 119.00`` and ``Final sale``;
- a sales order is an ``Invoice`` (a customer on terms) or a ``SalesReceipt``
  (a guest who paid by card); a return's credit is a ``CreditMemo`` or, for a
  guest, a ``RefundReceipt``. The hub's id is the transaction custom field
  ``Hub Ref`` and, cut to QBO's 21 characters, its ``DocNumber``.
"""

from __future__ import annotations

import re
from datetime import UTC
from decimal import Decimal, InvalidOperation

from shared.errors import BackendError
from shared import models as hub
from system_apis.quickbooks.vendor_schemas import (
    Address,
    Customer,
    CustomField,
    Item,
    Line,
    LineDetail,
    Ref,
    Transaction,
    TransactionBody,
)

BACKEND = "quickbooks"
CREDIT_LIMIT, CREDIT_HOLD, CONTRACT_PRICES = "Credit Limit", "Credit Hold", "Contract Prices"
HUB_REF = CustomField(definition_id="1", name="Hub Ref")
CHANNEL_REF = CustomField(definition_id="2", name="Channel Ref")
DOC_NUMBER_MAX = 21
CUSTOM_STRING_MAX = 31
# ERP numbers the hub keeps: "<prefix>-<QBO Id>"; the prefix names the entity.
PREFIXES = {"Invoice": "INV", "SalesReceipt": "SR", "CreditMemo": "CM", "RefundReceipt": "RR"}
ENTITIES = {prefix: entity for entity, prefix in PREFIXES.items()}

_BREAK = re.compile(r"^\s*volume price:\s*(\d+)\s*\+\s*@\s*(\d+(?:\.\d+)?)\s*$", re.IGNORECASE | re.MULTILINE)
_FINAL_SALE = re.compile(r"^\s*final sale\.?\s*$", re.IGNORECASE | re.MULTILINE)
_CENT = Decimal("0.01")


def unexpected(what: str) -> BackendError:
    return BackendError(f"unexpected QUICKBOOKS data: {what}", backend=BACKEND)


def quote(value: str) -> str:
    """A string literal of QBO's query language (a quote escaped with a backslash)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def doc_number(hub_id: str) -> str:
    """The ``DocNumber`` of a hub id: the id itself, or its last 21 characters (the random part)."""
    return hub_id[-DOC_NUMBER_MAX:]


def to_item(item: Item, currency: str) -> hub.Item:
    description = item.description or ""
    breaks = sorted(
        (hub.PriceBreak(min_quantity=int(m[1]), unit_price=_money(m[2])) for m in _BREAK.finditer(description)),
        key=lambda b: b.min_quantity,
    )
    return hub.Item(sku=item.sku or item.name, name=item.name, currency=currency, list_price=item.unit_price,
                    orderable=item.active, final_sale=_FINAL_SALE.search(description) is not None,
                    breaks=tuple(breaks))


def to_customer(customer: Customer) -> hub.Customer:
    fields = _custom(customer)
    terms = customer.sales_term_ref.name if customer.sales_term_ref and customer.sales_term_ref.name else ""
    return hub.Customer(
        customer_id=customer.display_name,
        name=customer.company_name or customer.display_name,
        terms=re.sub(r"\s+", "", terms).upper(),
        currency=customer.currency_ref.value if customer.currency_ref else "USD",
        credit_limit=_money(fields.get(CREDIT_LIMIT) or "0"),
        credit_hold=(fields.get(CREDIT_HOLD) or "").strip().lower() in ("yes", "true", "y"),
    )


def to_contract_prices(customer: Customer) -> hub.ContractPrices:
    """``Contract Prices`` as ``SKU=price`` pairs split by ``;`` (an empty field: no contract prices)."""
    text = _custom(customer).get(CONTRACT_PRICES) or ""
    prices: dict[str, Decimal] = {}
    for pair in filter(None, (p.strip() for p in text.split(";"))):
        sku, sep, price = pair.partition("=")
        if not sep or not sku.strip():
            raise unexpected(f"a contract price of customer {customer.display_name} does not read")
        prices[sku.strip()] = _money(price)
    return hub.ContractPrices(customer_id=customer.display_name, prices=prices)


def next_offset(offset: int, got: int, asked: int) -> int | None:
    """QBO never says whether more follow: a full page means "ask again"."""
    return offset + got if got == asked and got > 0 else None


def _custom(customer: Customer) -> dict[str, str | None]:
    return {f.name: f.string_value for f in customer.custom_field if f.name}


def _money(text: str) -> Decimal:
    try:
        return Decimal(text.strip()).quantize(_CENT)
    except (InvalidOperation, AttributeError) as exc:
        raise unexpected("an amount that is not a number") from exc


def _lines(lines: tuple[hub.OrderLine, ...], item_ids: dict[str, str]) -> list[Line]:
    return [
        Line(amount=line.unit_price * line.quantity,
             sales_item_line_detail=LineDetail(item_ref=Ref(value=item_ids[line.sku], name=line.sku), qty=line.quantity,
                                               unit_price=line.unit_price))
        for line in lines
    ]


def _custom_fields(hub_ref: str, channel_ref: str | None) -> list[CustomField]:
    fields = [CustomField(definition_id=HUB_REF.definition_id, name=HUB_REF.name, string_value=hub_ref)]
    if channel_ref:
        fields.append(CustomField(definition_id=CHANNEL_REF.definition_id, name=CHANNEL_REF.name,
                                  string_value=channel_ref[:CUSTOM_STRING_MAX]))
    return fields


def _address(address: hub.Address | None) -> Address | None:
    if address is None:
        return None
    return Address(line1=address.name, line2=address.line1, line3=address.line2 or None, city=address.city,
                   country_sub_division_code=address.region, postal_code=address.postal_code, country=address.country)


def to_sales_body(order: hub.SalesOrder, customer_id: str | None, item_ids: dict[str, str]) -> TransactionBody:
    """An Invoice (with ``customer_id``, the customer's QBO Id) or a SalesReceipt (a guest)."""
    created = order.created_at if order.created_at.tzinfo else order.created_at.replace(tzinfo=UTC)
    note = f"Hub order {order.order_id} from {order.channel}"
    if order.channel_order_ref:
        note += f" ({order.channel_order_ref})"
    if order.po_number:
        note += f", PO {order.po_number}"
    return TransactionBody(
        doc_number=doc_number(order.order_id),
        txn_date=created.astimezone(UTC).date().isoformat(),
        customer_ref=Ref(value=customer_id) if customer_id else None,
        currency_ref=Ref(value=order.currency),
        line=_lines(order.lines, item_ids),
        private_note=note,
        custom_field=_custom_fields(order.order_id, order.channel_order_ref),
        ship_addr=_address(order.ship_to),
    )


def to_credit_body(memo: hub.CreditMemoRequest, customer_id: str | None, item_ids: dict[str, str],
                   deposit_account: str) -> TransactionBody:
    """A CreditMemo (a customer) or a RefundReceipt (a guest: paid back from ``deposit_account``)."""
    note = f"Hub return {memo.rma_id} of order {memo.order_id}"
    if memo.erp_order_number:
        note += f" ({memo.erp_order_number})"
    return TransactionBody(
        doc_number=doc_number(memo.rma_id),
        customer_ref=Ref(value=customer_id) if customer_id else None,
        currency_ref=Ref(value=memo.currency),
        line=_lines(memo.lines, item_ids),
        private_note=note,
        custom_field=_custom_fields(memo.rma_id, None),
        deposit_to_account_ref=None if customer_id else Ref(value=deposit_account),
    )


def hub_ref(txn: Transaction) -> str | None:
    return next((f.string_value for f in txn.custom_field if f.name == HUB_REF.name), None)


def erp_number(entity: str, txn: Transaction) -> str:
    return f"{PREFIXES[entity]}-{txn.id}"


def parse_erp_number(number: str) -> tuple[str, str] | None:
    """``("CreditMemo", "146")`` from ``CM-146``; ``None`` for a number not of this adapter."""
    prefix, sep, entity_id = number.partition("-")
    if not sep or prefix not in ENTITIES or not entity_id.isdigit():
        return None
    return ENTITIES[prefix], entity_id


def to_sales_order_record(entity: str, txn: Transaction, order_id: str) -> hub.SalesOrderRecord:
    return hub.SalesOrderRecord(order_id=order_id, erp_order_number=erp_number(entity, txn), total=txn.total_amt,
                                currency=txn.currency_ref.value if txn.currency_ref else "USD",
                                status="void" if is_void(txn) else "open")


def is_void(txn: Transaction) -> bool:
    """QBO's void keeps the transaction, zeroes its amounts and marks the memo ``Voided``."""
    return txn.total_amt == 0 and "voided" in (txn.private_note or "").lower()
