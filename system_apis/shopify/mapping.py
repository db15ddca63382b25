"""Shopify <-> canonical: pure functions, no I/O."""

from __future__ import annotations

from decimal import Decimal

from shared.models import Address, ChannelOrder, ChannelOrderLine, FulfilmentLine, Refund
from system_apis.shopify.vendor_schemas import (
    FulfilmentBody,
    FulfilmentLineOut,
    FulfilmentOut,
    InventoryLevelSet,
    RefundBody,
    RefundIn,
    RefundLineOut,
    RefundOut,
    RefundTransactionOut,
    WebhookAddress,
    WebhookOrder,
)

CHANNEL = "shopify"
REFUND_GATEWAY = "shopify_payments"
"""The gateway a refund transaction names: the shop's own payments (the order webhook does not say)."""


def to_inventory_level(sku: str, location: str, available: int) -> InventoryLevelSet:
    return InventoryLevelSet(location_id=location, inventory_item_id=sku, available=available)


def to_fulfilment_body(tracking_number: str, carrier: str, lines: list[FulfilmentLine]) -> FulfilmentBody:
    return FulfilmentBody(
        fulfillment=FulfilmentOut(
            tracking_number=tracking_number,
            tracking_company=carrier,
            line_items=[FulfilmentLineOut(sku=line.sku, quantity=line.quantity) for line in lines],
        )
    )


def refund_note(rma_id: str) -> str:
    """The note a hub refund carries: ``hub <rma id>``."""
    return f"hub {rma_id}"


def is_refund_for(refund: RefundIn, rma_id: str) -> bool:
    """Whether ``refund`` is the one made for ``rma_id`` (a whole word of its note, so rma_1 is not rma_10)."""
    return rma_id in (refund.note or "").split()


def to_refund_body(lines: list[FulfilmentLine], amount: Decimal, currency: str, rma_id: str) -> RefundBody:
    return RefundBody(
        refund=RefundOut(
            currency=currency,
            note=refund_note(rma_id),
            refund_line_items=[RefundLineOut(sku=line.sku, quantity=line.quantity) for line in lines],
            transactions=[RefundTransactionOut(gateway=REFUND_GATEWAY, amount=amount)],
        )
    )


def to_refund(refund: RefundIn, shopify_order_id: str, currency: str) -> Refund:
    """A Shopify refund in canonical terms: the money its refund transactions moved (``authorization_id``
    is the order's, ``shopify:<order id>``); ``failed`` when one of them failed, ``pending`` while one is."""
    money = [t for t in refund.transactions if t.kind == "refund"]
    statuses = {t.status for t in money}
    status = "failed" if statuses & {"failure", "error"} else "pending" if "pending" in statuses else "succeeded"
    return Refund(
        refund_id=str(refund.id),
        authorization_id=f"{CHANNEL}:{shopify_order_id}",
        amount=sum((t.amount for t in money), Decimal("0.00")),
        currency=currency,
        status=status,
    )


def to_address(address: WebhookAddress | None) -> Address | None:
    """Shopify's shipping address; ``None`` when it lacks a street, city or country."""
    if address is None or not (address.address1 and address.city and address.country_code):
        return None
    name = " ".join(part for part in (address.first_name, address.last_name) if part)
    return Address(
        name=name,
        line1=address.address1,
        line2=address.address2 or "",
        city=address.city,
        region=address.province_code or "",
        postal_code=address.zip or "",
        country=address.country_code,
    )


def to_channel_order(order: WebhookOrder, shop: str | None) -> ChannelOrder:
    """``channel_order_ref`` is the Shopify order id; the total is ``total_price``."""
    return ChannelOrder(
        channel=CHANNEL,
        channel_order_ref=str(order.id),
        currency=order.currency,
        lines=tuple(
            ChannelOrderLine(sku=line.sku, quantity=line.quantity, unit_price=line.price) for line in order.line_items
        ),
        total=order.total_price,
        ship_to=to_address(order.shipping_address),
        email=order.email,
        shop=shop,
    )
