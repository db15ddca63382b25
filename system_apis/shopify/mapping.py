"""Shopify <-> canonical: pure functions, no I/O."""

from __future__ import annotations

from shared.models import Address, ChannelOrder, ChannelOrderLine, FulfilmentLine
from system_apis.shopify.vendor_schemas import (
    FulfilmentBody,
    FulfilmentLineOut,
    FulfilmentOut,
    InventoryLevelSet,
    WebhookAddress,
    WebhookOrder,
)

CHANNEL = "shopify"


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
