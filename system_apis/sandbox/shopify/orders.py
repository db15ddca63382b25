"""Shopify orders made by the sandbox control, and their ``orders/create`` webhooks.

A webhook is delivered exactly as Shopify does: the order JSON as the body,
POSTed to the configured URL with ``X-Shopify-Topic``,
``X-Shopify-Hmac-Sha256`` (base64 HMAC-SHA256 of the raw body with the
webhook secret), ``X-Shopify-Webhook-Id`` (a uuid), ``X-Shopify-Shop-Domain``,
``X-Shopify-Triggered-At`` and ``X-Shopify-API-Version``. A redelivery sends
the very same body and headers, webhook id included.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import uuid
from decimal import Decimal

import msgspec

from system_apis.sandbox import seed
from system_apis.sandbox.events import Announcer
from system_apis.sandbox.formats import money, rfc3339_now
from system_apis.sandbox.shopify.schemas import LineItem, OrderIn, ShopifyAddress, ShopifyOrder, Webhook

SHOP_DOMAIN = "sandbox-shop.myshopify.com"
API_VERSION = "2024-10"
ORDERS_CREATE = "orders/create"
DEFAULT_EMAIL = "buyer@example.com"
DEFAULT_ADDRESS = ShopifyAddress(
    first_name="Sam", last_name="Sandbox", address1="1 Sandbox Way", city="Springfield",
    province_code="IL", zip="62701", country_code="US",
)
_TITLES = {item.sku: item.name for item in seed.ITEMS}


def hmac_header(secret: str, body: bytes) -> str:
    """``X-Shopify-Hmac-Sha256``: base64 of the HMAC-SHA256 of the raw body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


class ShopifyOrders:
    """The orders of the sandbox shop and the webhooks that announced them."""

    def __init__(self, announcer: Announcer) -> None:
        self._announcer = announcer
        # Ids keep growing across resets, as a real shop's do: a hub that saw order
        # 5000000001 before a reset must not take a new order for a redelivery.
        self._ids = itertools.count(5_000_000_001)
        self._line_ids = itertools.count(13_000_000_001)
        self.reset()

    def reset(self) -> None:
        self._orders: dict[int, ShopifyOrder] = {}
        self._sent: dict[int, tuple[bytes, dict[str, str]]] = {}
        self._numbers = itertools.count(1001)

    def get(self, order_id: int) -> ShopifyOrder | None:
        return self._orders.get(order_id)

    def create(self, body: OrderIn) -> tuple[ShopifyOrder, str]:
        """Make a paid order, announce it as ``orders/create``; the order and the webhook id."""
        now = rfc3339_now()
        lines = [
            LineItem(
                id=next(self._line_ids),
                sku=line.sku,
                title=line.title or _TITLES.get(line.sku, line.sku),
                name=line.title or _TITLES.get(line.sku, line.sku),
                quantity=line.quantity,
                price=money(Decimal(line.price)),
            )
            for line in body.line_items
        ]
        subtotal = money(sum((Decimal(line.price) * line.quantity for line in lines), Decimal(0)))
        order_id, number = next(self._ids), next(self._numbers)
        order = ShopifyOrder(
            id=order_id,
            admin_graphql_api_id=f"gid://shopify/Order/{order_id}",
            name=f"#{number}",
            order_number=number,
            email=body.email or DEFAULT_EMAIL,
            currency=seed.CURRENCY,
            presentment_currency=seed.CURRENCY,
            subtotal_price=subtotal,
            total_tax="0.00",
            total_discounts="0.00",
            total_price=subtotal,
            financial_status="paid",
            fulfillment_status=None,
            created_at=now,
            updated_at=now,
            line_items=lines,
            shipping_address=body.shipping_address or DEFAULT_ADDRESS,
        )
        self._orders[order_id] = order
        return order, self._announce(order, now)

    def redeliver(self, order_id: int) -> str | None:
        """Send the order's webhook again, same id; its webhook id, or ``None`` for an unknown order."""
        sent = self._sent.get(order_id)
        if sent is None:
            return None
        body, headers = sent
        self._announcer.deliver(body, headers)
        return headers["X-Shopify-Webhook-Id"]

    def _announce(self, order: ShopifyOrder, triggered_at: str) -> str:
        webhook_id = str(uuid.uuid4())
        body = msgspec.json.encode(order)
        headers = {
            "X-Shopify-Topic": ORDERS_CREATE,
            "X-Shopify-Hmac-Sha256": hmac_header(self._announcer.secret, body),
            "X-Shopify-Webhook-Id": webhook_id,
            "X-Shopify-Shop-Domain": SHOP_DOMAIN,
            "X-Shopify-Triggered-At": triggered_at,
            "X-Shopify-API-Version": API_VERSION,
        }
        self._sent[order.id] = (body, headers)
        webhook = Webhook(webhook_id=webhook_id, topic=ORDERS_CREATE, triggered_at=triggered_at, order=order)
        self._announcer.outbox.append(webhook)
        self._announcer.deliver(body, headers)
        return webhook_id
