"""``ShopifyPort`` over the Shopify Admin REST API, and its throttle classifier.

Shopify limits REST calls with a leaky bucket: a full bucket answers 429 with
``Retry-After: 1.0`` (a float), which becomes ``BackendThrottled`` with that
``retry_after``; the guard waits it out before retrying.
"""

from __future__ import annotations

import uuid
from urllib.parse import quote

import httpx

from shared.errors import NotFound
from shared.models import FulfilmentLine
from system_apis.shopify import mapping
from system_apis.vendor_http import VendorHttp, raise_for_vendor_status

ACCESS_TOKEN_HEADER = "X-Shopify-Access-Token"
API = "/admin/api/2024-10"
"""The Admin API version these shapes are written against; the base URL is the shop's root."""


def classify(response: httpx.Response) -> None:
    """The shared mapping: 429 (bucket full) is a throttle honouring ``Retry-After``; 422 is permanent."""
    raise_for_vendor_status("shopify", response)


class ShopifyHttpAdapter:
    """Shopify behind ``ShopifyPort``; build its ``VendorHttp`` with ``classify`` above and a client
    that sends ``X-Shopify-Access-Token``."""

    def __init__(self, http: VendorHttp) -> None:
        self._http = http

    async def create_fulfilment(
        self, shopify_order_id: str, tracking_number: str, carrier: str, lines: list[FulfilmentLine],
        idempotency_key: str,
    ) -> None:
        """Raises ``NotFound(code="unknown_shopify_order")`` when the shop has no such order."""
        path = f"{API}/orders/{quote(shopify_order_id, safe='')}/fulfillments.json"
        try:
            await self._http.post(
                "create_fulfilment",
                path,
                mapping.to_fulfilment_body(tracking_number, carrier, lines),
                idempotency_key=idempotency_key,
                span_attributes={"hub.channel": "shopify", "hub.channel_order_ref": shopify_order_id},
            )
        except NotFound as exc:
            raise NotFound(f"unknown Shopify order {shopify_order_id}", code="unknown_shopify_order") from exc

    async def set_inventory(self, sku: str, location: str, available: int) -> None:
        """Setting a level is idempotent by nature; the key (one per call) lets the guard retry it."""
        await self._http.post(
            "set_inventory",
            f"{API}/inventory_levels/set.json",
            mapping.to_inventory_level(sku, location, available),
            idempotency_key=str(uuid.uuid4()),
            span_attributes={"hub.sku": sku, "hub.location": location},
        )
