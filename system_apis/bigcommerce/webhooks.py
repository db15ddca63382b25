"""BigCommerce webhooks in: signed as Standard Webhooks, thin ``store/order/created`` bodies.

Headers ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature``
(``v1,<base64 HMAC-SHA256>`` entries, space-separated) over
``<id>.<timestamp>.<raw body>`` under the webhook's secret. The body names
only the order (``{"scope", "data": {"type": "order", "id"}}``): the hook reads
the order from the store (``fetch_ref``). The delivery id kept is
``store/order/created:<order id>``, so a redelivery is a duplicate.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import msgspec

from system_apis.bigcommerce.vendor_schemas import BigWebhook
from system_apis.channel.inbound import ChannelInbound, Headers, InboundOrder, header_text

ORDER_CREATED = "store/order/created"
SANDBOX_SECRET = "sandbox-bigcommerce-secret"
_HOOK = msgspec.json.Decoder(BigWebhook)


def signature(secret: str, webhook_id: str, timestamp: str, body: bytes) -> str:
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()


def verify(secret: str, body: bytes, headers: Headers) -> bool:
    webhook_id, timestamp = header_text(headers, b"webhook-id"), header_text(headers, b"webhook-timestamp")
    if not webhook_id or not timestamp:
        return False
    expected = signature(secret, webhook_id, timestamp, body)
    return any(hmac.compare_digest(given, expected) for given in header_text(headers, b"webhook-signature").split())


def read(body: bytes, headers: Headers, channel: str) -> InboundOrder:
    hook = _HOOK.decode(body)
    if hook.scope != ORDER_CREATED:
        return InboundOrder(delivery_id=header_text(headers, b"webhook-id"), order=None, topic=hook.scope)
    return InboundOrder(delivery_id=f"{hook.scope}:{hook.data.id}", order=None, topic=hook.scope,
                        fetch_ref=str(hook.data.id))


INBOUND = ChannelInbound(verify=verify, parse=read, sandbox_secret=SANDBOX_SECRET)
