"""Amazon SP-API <-> canonical: orders, times, package references and the order-adjustment feed
(``POST_PAYMENT_ADJUSTMENT_DATA``, XML). Pure functions, no I/O."""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from decimal import Decimal
from typing import NamedTuple

from shared.models import Address, ChannelOrder, ChannelOrderLine
from system_apis.amazon.vendor_schemas import Order, OrderAddress, OrderItem

ORDER_ID = re.compile(r"^\d{3}-\d{7}-\d{7}$")
"""Amazon order ids are ``3-7-7`` digits (``113-3001001-0000001``)."""
CAPTURED = frozenset({"Unshipped", "PartiallyShipped"})
"""Order statuses the hub captures: paid and not yet shipped. ``Pending`` orders have no prices yet;
when payment clears they turn ``Unshipped`` and their ``LastUpdateDate`` moves, so a later poll sees them."""
ADJUSTMENT_FEED = "POST_PAYMENT_ADJUSTMENT_DATA"
FEED_CONTENT_TYPE = "text/xml; charset=UTF-8"


def amazon_time(value: str) -> str:
    """Any ISO 8601 time (``2026-12-06 09:00:00``, ``...T09:00:00Z``) as SP-API writes it, in UTC."""
    when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def package_reference(key: str) -> str:
    """The ``packageReferenceId`` of the hub's fulfilment key: a positive number fixed by the key, so a
    repeat edits the package it made instead of confirming another."""
    return str(int(hashlib.sha256(key.encode()).hexdigest()[:12], 16) + 1)


def to_address(address: OrderAddress | None) -> Address | None:
    """A street address only when the answer carries one (a Restricted Data Token was used);
    without one Amazon gives the city and postal code only, and the hub keeps none."""
    if address is None or not (address.Name and address.AddressLine1 and address.City and address.CountryCode):
        return None
    return Address(name=address.Name, line1=address.AddressLine1, line2=address.AddressLine2 or "",
                   city=address.City, region=address.StateOrRegion or "", postal_code=address.PostalCode or "",
                   country=address.CountryCode)


def to_channel_order(order: Order, items: list[OrderItem], channel: str) -> ChannelOrder:
    """``channel_order_ref`` is the ``AmazonOrderId``; a line's ``ItemPrice`` is for the whole quantity,
    so the unit price is it divided by ``QuantityOrdered``."""
    lines = tuple(ChannelOrderLine(sku=i.SellerSKU, quantity=i.QuantityOrdered,
                                   unit_price=(i.ItemPrice.Amount / i.QuantityOrdered).quantize(Decimal("0.01")))
                  for i in items if i.ItemPrice is not None and i.QuantityOrdered > 0)
    total = order.OrderTotal
    email = order.BuyerInfo.BuyerEmail if order.BuyerInfo else None
    return ChannelOrder(channel=channel, channel_order_ref=order.AmazonOrderId,
                        currency=total.CurrencyCode if total else "USD",
                        total=total.Amount if total else sum((line.unit_price * line.quantity for line in lines),
                                                            Decimal("0.00")),
                        lines=lines, email=email or None, ship_to=to_address(order.ShippingAddress))


def adjustment_id(rma_id: str, n: int) -> str:
    """The ``MerchantAdjustmentItemID`` of the RMA's ``n``th adjusted item: how a repeat is recognised."""
    return f"hub-{rma_id}-{n}"


def shares(amounts: list[Decimal], total: Decimal) -> list[Decimal]:
    """``total`` split over lines in proportion to ``amounts`` (what each line paid), to the cent; the
    last line takes the rounding so the shares add up to ``total``."""
    paid = sum(amounts, Decimal(0))
    if paid <= 0:
        return [total] + [Decimal("0.00")] * (len(amounts) - 1)
    split = [(total * a / paid).quantize(Decimal("0.01")) for a in amounts[:-1]]
    return [*split, total - sum(split, Decimal(0))]


def adjustment_feed(seller_id: str, order_id: str, rma_id: str, lines: list[tuple[str, Decimal]],
                    currency: str) -> bytes:
    """An ``OrderAdjustment`` message giving back ``lines`` (order item id, amount) of the order for a return."""
    envelope = ET.Element("AmazonEnvelope")
    header = ET.SubElement(envelope, "Header")
    ET.SubElement(header, "DocumentVersion").text = "1.01"
    ET.SubElement(header, "MerchantIdentifier").text = seller_id
    ET.SubElement(envelope, "MessageType").text = "OrderAdjustment"
    message = ET.SubElement(envelope, "Message")
    ET.SubElement(message, "MessageID").text = "1"
    adjustment = ET.SubElement(message, "OrderAdjustment")
    ET.SubElement(adjustment, "AmazonOrderID").text = order_id
    for n, (item_id, amount) in enumerate(lines, start=1):
        item = ET.SubElement(adjustment, "AdjustedItem")
        ET.SubElement(item, "AmazonOrderItemCode").text = item_id
        ET.SubElement(item, "MerchantAdjustmentItemID").text = adjustment_id(rma_id, n)
        ET.SubElement(item, "AdjustmentReason").text = "CustomerReturn"
        component = ET.SubElement(ET.SubElement(item, "ItemPriceAdjustments"), "Component")
        ET.SubElement(component, "Type").text = "Principal"
        ET.SubElement(component, "Amount", currency=currency).text = f"{amount:.2f}"
    return ET.tostring(envelope, encoding="utf-8", xml_declaration=True)


class Adjustment(NamedTuple):
    """One order adjustment read back from a feed document."""

    order_id: str
    item_ids: tuple[str, ...]
    """Its items' ``MerchantAdjustmentItemID``s."""
    amount: Decimal


def read_adjustments(content: bytes) -> list[Adjustment]:
    """The order adjustments of a ``POST_PAYMENT_ADJUSTMENT_DATA`` document (``ValueError`` if it is not one)."""
    try:
        root = ET.fromstring(content)
    except ET.ParseError as exc:
        raise ValueError("not an XML feed document") from exc
    found = []
    for adjustment in root.iter("OrderAdjustment"):
        items = adjustment.findall("AdjustedItem")
        amount = sum((Decimal(a.text or "0") for a in adjustment.iter("Amount")), Decimal("0.00"))
        found.append(Adjustment(adjustment.findtext("AmazonOrderID", ""),
                                tuple(i.findtext("MerchantAdjustmentItemID", "") for i in items), amount))
    return found


def processing_report(feed_id: str, processed: int, failed: int) -> bytes:
    """A feed's ``ProcessingReport`` (its result document): how many messages were processed, how many failed."""
    envelope = ET.Element("AmazonEnvelope")
    ET.SubElement(envelope, "MessageType").text = "ProcessingReport"
    report = ET.SubElement(ET.SubElement(envelope, "Message"), "ProcessingReport")
    ET.SubElement(report, "DocumentTransactionID").text = feed_id
    ET.SubElement(report, "StatusCode").text = "Complete"
    summary = ET.SubElement(report, "ProcessingSummary")
    for name, count in (("MessagesProcessed", processed), ("MessagesSuccessful", processed - failed),
                        ("MessagesWithError", failed), ("MessagesWithWarning", 0)):
        ET.SubElement(summary, name).text = str(count)
    return ET.tostring(envelope, encoding="utf-8", xml_declaration=True)


def report_errors(content: bytes) -> int:
    """``MessagesWithError`` of a processing report (an unreadable report counts as one error)."""
    try:
        text = ET.fromstring(content).findtext(".//ProcessingSummary/MessagesWithError", "1")
    except ET.ParseError:
        return 1
    return int(text) if text.strip().isdigit() else 1

