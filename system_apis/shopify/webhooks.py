"""Shopify webhooks (``POST /hooks/shopify``): signature check and ``orders/create`` parsing.

Pure functions, no I/O. ``parse_order`` raises ``msgspec.DecodeError``
(``ValidationError`` for a well-formed body of the wrong shape, e.g. a line
item without a SKU); the caller answers 400.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import msgspec

from shared.models import ChannelOrder
from system_apis.channel.inbound import ChannelInbound, Headers, InboundOrder, header_text
from system_apis.shopify import mapping
from system_apis.shopify.vendor_schemas import WebhookOrder

_ORDER = msgspec.json.Decoder(WebhookOrder)


def verify_shopify_hmac(secret: str, body: bytes, header: bytes | None) -> bool:
    """Whether ``X-Shopify-Hmac-Sha256`` is the base64 HMAC-SHA256 of the raw ``body`` (constant time)."""
    if not header:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    return hmac.compare_digest(header.strip(), expected)


def parse_order(body: bytes, shop: str | None) -> ChannelOrder:
    """An ``orders/create`` body as a channel order (channel ``shopify``, ref the order id)."""
    return mapping.to_channel_order(_ORDER.decode(body), shop)


def read_order_webhook(body: bytes, headers: Headers, channel: str) -> InboundOrder:
    """An ``orders/create`` webhook for ``channel`` (another topic: acknowledged, no order);
    its delivery id is ``X-Shopify-Webhook-Id`` (the same on a redelivery)."""
    topic = header_text(headers, b"x-shopify-topic")
    webhook_id = header_text(headers, b"x-shopify-webhook-id")
    if topic != "orders/create":
        return InboundOrder(delivery_id=webhook_id, order=None, topic=topic)
    order = parse_order(body, header_text(headers, b"x-shopify-shop-domain") or None)
    return InboundOrder(delivery_id=webhook_id, order=msgspec.structs.replace(order, channel=channel), topic=topic)


INBOUND = ChannelInbound(
    verify=lambda secret, body, headers: verify_shopify_hmac(secret, body, headers.get(b"x-shopify-hmac-sha256")),
    parse=read_order_webhook,
    sandbox_secret="sandbox-shopify-secret",
)
"""A second shop's orders in at ``/hooks/channels/<connection>``, signed as Shopify signs them."""
