"""How the hub's records live in NetSuite, and the conversions both ways.

- Item: SKU ``itemid``, name ``displayname``, inactive = discontinued (not
  orderable), final sale the custom item field ``custitem_hub_final_sale``
  (``T``). List price and quantity breaks: ``pricing`` rows of one price level
  (constructor ``price_level``, default 1, Base Price); the row of quantity 0
  (or 1) is the list price, each higher ``quantity`` a break from that quantity.
- Customer: id ``entityid``, name ``companyname``, terms the ``term`` record's
  name in capitals without spaces (``Net 30`` -> ``NET30``), currency the
  ``currency`` record's ``symbol``, credit limit ``creditlimit`` (none: 0),
  credit hold ``creditholdoverride = ON`` (``AUTO`` leaves the check to the hub).
- Contract prices: ``customeritempricing`` rows (customer, item, price).
- Transactions: the hub's order id (or RMA id) is the record's external id;
  the channel's reference ``otherRefNum``; guests are booked to one customer
  (constructor ``guest_customer``). The hub keeps a sales order's ``tranId`` and a
  credit memo's internal id as ``CM-{id}``.
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal

from shared import models as hub
from shared.errors import BackendError
from system_apis.netsuite.vendor_schemas import (
    CustomerRow,
    ItemRow,
    Line,
    PriceRow,
    Ref,
    ShippingAddress,
    Sublist,
    TransactionBody,
)

BACKEND = "netsuite"
_EXTERNAL_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")
MEMO_PREFIX = "CM-"


def unexpected(what: str) -> BackendError:
    return BackendError(f"unexpected NETSUITE data: {what}", backend=BACKEND)


def quote(value: str) -> str:
    """A SuiteQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def external_id(key: str) -> str:
    """NetSuite external ids take letters, digits, ``_`` and ``-``: another key goes as its digest."""
    return key if _EXTERNAL_ID.fullmatch(key) else "h-" + hashlib.sha256(key.encode()).hexdigest()[:40]


def flag(value: str | None) -> bool:
    return (value or "").upper() == "T"


def to_item(row: ItemRow, prices: list[PriceRow], currency: str) -> hub.Item:
    ordered = sorted(prices, key=lambda p: int(p.quantity or 0))
    if not ordered:
        raise unexpected(f"item {row.itemid} has no price")
    return hub.Item(
        sku=row.itemid, name=row.displayname or row.itemid, currency=currency, list_price=ordered[0].unitprice,
        orderable=not flag(row.isinactive), final_sale=flag(row.custitem_hub_final_sale),
        breaks=tuple(hub.PriceBreak(min_quantity=int(p.quantity), unit_price=p.unitprice)
                     for p in ordered[1:] if int(p.quantity) > 1),
    )


def to_customer(row: CustomerRow, terms: dict[str, str], currencies: dict[str, str]) -> hub.Customer:
    term = terms.get(row.terms or "", "")
    return hub.Customer(
        customer_id=row.entityid, name=row.companyname or row.entityid, terms=re.sub(r"\s+", "", term).upper(),
        currency=currencies.get(row.currency or "", "USD"), credit_limit=row.creditlimit or Decimal("0"),
        credit_hold=row.creditholdoverride.upper() == "ON",
    )


def _lines(lines: tuple[hub.OrderLine, ...], item_ids: dict[str, str]) -> Sublist:
    return Sublist(items=[Line(item=Ref(id=item_ids[line.sku]), quantity=line.quantity, rate=line.unit_price,
                               amount=line.extended_price) for line in lines])


def to_sales_order(order: hub.SalesOrder, entity_id: str, currency_id: str, item_ids: dict[str, str]) -> TransactionBody:
    ship = order.ship_to
    address = ShippingAddress(addressee=ship.name, addr1=ship.line1, addr2=ship.line2, city=ship.city, state=ship.region,
                              zip=ship.postal_code, country=ship.country) if ship else None
    return TransactionBody(entity=Ref(id=entity_id), currency=Ref(id=currency_id), item=_lines(order.lines, item_ids),
                           other_ref_num=order.channel_order_ref, memo=f"Hub order {order.order_id} ({order.channel})",
                           shipping_address=address)


def to_credit_memo(memo: hub.CreditMemoRequest, entity_id: str, currency_id: str,
                   item_ids: dict[str, str]) -> TransactionBody:
    return TransactionBody(entity=Ref(id=entity_id), currency=Ref(id=currency_id), item=_lines(memo.lines, item_ids),
                           other_ref_num=memo.erp_order_number, memo=f"Hub return {memo.rma_id} of {memo.order_id}")


def memo_internal_id(credit_memo_id: str) -> str | None:
    """The internal id in a hub credit memo id ``CM-{id}``, or None."""
    rest = credit_memo_id[len(MEMO_PREFIX):] if credit_memo_id.startswith(MEMO_PREFIX) else ""
    return rest if rest.isdigit() else None
