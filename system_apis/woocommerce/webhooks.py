"""WooCommerce webhooks in: ``X-WC-Webhook-Signature`` and the ``order.created`` body.

WooCommerce signs a delivery with ``X-WC-Webhook-Signature``: the base64
HMAC-SHA256 of the raw body under the webhook's secret. ``X-WC-Webhook-Topic``
names the topic (``order.created``); the body is the order as
``GET /orders/{id}`` answers it. A redelivery of the same order carries a new
``X-WC-Webhook-Delivery-ID``, so the delivery id the hub keeps is
``<topic>:<order id>``: an order is taken once however often it is announced.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import msgspec

from shared.models import Address, ChannelOrder, ChannelOrderLine
from system_apis.channel.inbound import ChannelInbound, Headers, InboundOrder, header_text
from system_apis.woocommerce.vendor_schemas import WooAddress, WooOrder

ORDER_CREATED = "order.created"
SANDBOX_SECRET = "sandbox-woocommerce-secret"
_ORDER = msgspec.json.Decoder(WooOrder)


def signature(secret: str, body: bytes) -> bytes:
    """``X-WC-Webhook-Signature``: base64 of the HMAC-SHA256 of the raw body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())


def verify(secret: str, body: bytes, headers: Headers) -> bool:
    given = headers.get(b"x-wc-webhook-signature")
    return bool(given) and hmac.compare_digest(given.strip(), signature(secret, body))  # type: ignore[union-attr]


def to_address(shipping: WooAddress) -> Address | None:
    if not (shipping.address_1 and shipping.city and shipping.country):
        return None
    return Address(name=f"{shipping.first_name} {shipping.last_name}".strip(), line1=shipping.address_1,
                   line2=shipping.address_2, city=shipping.city, region=shipping.state,
                   postal_code=shipping.postcode, country=shipping.country)


def to_channel_order(order: WooOrder, channel: str, shop: str | None) -> ChannelOrder:
    """``channel_order_ref`` is the WooCommerce order id; the total is the order's ``total``."""
    return ChannelOrder(
        channel=channel, channel_order_ref=str(order.id), currency=order.currency,
        lines=tuple(ChannelOrderLine(sku=line.sku, quantity=line.quantity, unit_price=line.price)
                    for line in order.line_items),
        total=order.total, ship_to=to_address(order.shipping), email=order.billing.email or None, shop=shop)


def read(body: bytes, headers: Headers, channel: str) -> InboundOrder:
    topic = header_text(headers, b"x-wc-webhook-topic")
    if topic != ORDER_CREATED:  # order.updated, product.*, and WooCommerce's "webhook_id=<n>" ping
        return InboundOrder(delivery_id=header_text(headers, b"x-wc-webhook-delivery-id") or topic or "ping",
                            order=None, topic=topic)
    order = _ORDER.decode(body)
    if not order.line_items or any(not line.sku for line in order.line_items):
        raise msgspec.ValidationError("every line needs a SKU")
    shop = header_text(headers, b"x-wc-webhook-source") or None
    return InboundOrder(delivery_id=f"{topic}:{order.id}", order=to_channel_order(order, channel, shop), topic=topic)


INBOUND = ChannelInbound(verify=verify, parse=read, sandbox_secret=SANDBOX_SECRET)
