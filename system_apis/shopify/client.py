"""``ChannelPlatformPort`` over the Shopify Admin REST API, and its throttle classifier.

Shopify limits REST calls with a leaky bucket: a full bucket answers 429 with
``Retry-After: 1.0`` (a float), which becomes ``BackendThrottled`` with that
``retry_after``; the guard waits it out before retrying.

Refunds. Shopify keeps no idempotency key for ``POST .../refunds.json``, so
``refund`` is idempotent the honest way: it lists the order's refunds first
and answers the one whose note names the RMA (``hub <rma id>``); only when
there is none does it create one. That POST is sent once, never retried by
the guard (a lost answer could otherwise refund twice): the caller (the
refund saga) retries the whole call, which finds the refund if it was made.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from urllib.parse import quote

import httpx

from shared.errors import BackendError, NotFound
from shared.models import FulfilmentLine, Refund
from shared.ops.probes import ProbeResult
from system_apis.shopify import graphql, mapping
from system_apis.channel.port import CallBudget, RefundOutcome, StorefrontLevel
from system_apis.shopify.vendor_schemas import InventoryLevelList, RefundAnswer, RefundList
from system_apis.vendor_http import VendorHttp, raise_for_vendor_status

ACCESS_TOKEN_HEADER = "X-Shopify-Access-Token"
API = "/admin/api/2024-10"
"""The Admin API version these shapes are written against; the base URL is the shop's root."""
CALL_LIMIT_HEADER = "X-Shopify-Shop-Api-Call-Limit"
REST_LEAK_PER_SECOND = 2.0
"""The standard plan's REST leak; the call-limit header says the level and size, not the rate."""
LEVELS_PER_READ = 50
"""``inventory_levels.json`` takes at most 50 inventory item ids."""


def classify(response: httpx.Response) -> None:
    """The shared mapping: 429 (bucket full) is a throttle honouring ``Retry-After``; 422 is permanent;
    a GraphQL answer saying THROTTLED is a throttle too."""
    raise_for_vendor_status("shopify", response)
    graphql.raise_if_throttled(response)


class ShopifyHttpAdapter:
    """Shopify behind ``ChannelPlatformPort``; build its ``VendorHttp`` with ``classify`` above and a client
    that sends ``X-Shopify-Access-Token``."""

    def __init__(self, http: VendorHttp) -> None:
        self._http = http

    async def probe(self) -> ProbeResult:
        """Health: ``GET /admin/api/2024-10/shop.json``, the shop's own record."""
        return await self._http.probe("GET", f"{API}/shop.json")

    async def create_fulfilment(
        self, channel_order_ref: str, tracking_number: str, carrier: str, lines: list[FulfilmentLine],
        idempotency_key: str,
    ) -> None:
        """Raises ``NotFound(code="unknown_shopify_order")`` when the shop has no such order."""
        path = _order_path(channel_order_ref, "fulfillments.json")
        try:
            await self._http.post(
                "create_fulfilment",
                path,
                mapping.to_fulfilment_body(tracking_number, carrier, lines),
                idempotency_key=idempotency_key,
                span_attributes={"hub.channel": "shopify", "hub.channel_order_ref": channel_order_ref},
            )
        except NotFound as exc:
            raise NotFound(f"unknown Shopify order {channel_order_ref}", code="unknown_shopify_order") from exc

    async def set_inventory(self, sku: str, location: str, available: int) -> CallBudget:
        """Setting a level is idempotent by nature; the key (one per call) lets the guard retry it."""
        response = await self._http.post(
            "set_inventory",
            f"{API}/inventory_levels/set.json",
            mapping.to_inventory_level(sku, location, available),
            idempotency_key=str(uuid.uuid4()),
            span_attributes={"hub.sku": sku, "hub.location": location},
            whole=True,
        )
        return rest_budget(response)

    async def set_inventory_levels(self, levels: Sequence[StorefrontLevel]) -> CallBudget:
        """One ``inventorySetQuantities`` call, sent once: the caller paces and retries (a throttle
        raises ``BackendThrottled`` with the wait the cost bucket needs)."""
        answer = await self._http.post("set_inventory_levels", f"{API}{graphql.PATH_SUFFIX}",
                                       graphql.set_quantities_body(levels),
                                       span_attributes={"hub.levels": len(levels)})
        return graphql.read_set_answer(self._http.decode(answer, graphql.SetAnswer))

    async def inventory_levels(self, skus: Sequence[str]) -> list[StorefrontLevel]:
        """Every level the shop holds for ``skus``, read 50 items a call."""
        wanted = sorted(set(skus))
        found: list[StorefrontLevel] = []
        for start in range(0, len(wanted), LEVELS_PER_READ):
            chunk = wanted[start:start + LEVELS_PER_READ]
            answer = await self._http.get_json(
                InventoryLevelList, "list_inventory_levels", f"{API}/inventory_levels.json",
                params={"inventory_item_ids": ",".join(chunk), "limit": 250},
                span_attributes={"hub.skus": len(chunk)})
            found += [StorefrontLevel(sku=str(lv.inventory_item_id), location=str(lv.location_id),
                                      available=lv.available or 0) for lv in answer.inventory_levels]
        return found

    async def refund(
        self, channel_order_ref: str, lines: list[FulfilmentLine], amount: Decimal, currency: str, rma_id: str
    ) -> Refund:
        """The refund made for ``rma_id``, found by its note, else created (see the module docstring)."""
        path = _order_path(channel_order_ref, "refunds.json")
        span = {"hub.channel": "shopify", "hub.channel_order_ref": channel_order_ref, "hub.rma_id": rma_id}
        try:
            made = await self._http.get_json(RefundList, "list_refunds", path, span_attributes=span)
            found = next((r for r in made.refunds if mapping.is_refund_for(r, rma_id)), None)
            if found is None:
                body = mapping.to_refund_body(lines, amount, currency, rma_id)
                answer = await self._http.post("create_refund", path, body, span_attributes=span)
                found = self._http.decode(answer, RefundAnswer).refund
        except NotFound as exc:
            raise NotFound(f"unknown Shopify order {channel_order_ref}", code="unknown_shopify_order") from exc
        refund = mapping.to_refund(found, channel_order_ref, currency)
        if refund.status == "failed":
            raise BackendError(f"Shopify refund {refund.refund_id} failed", backend="shopify",
                               code="channel_refund_failed")
        return refund

    async def refund_outcome(self, channel_order_ref: str, refund_id: str) -> RefundOutcome:
        return "succeeded"  # its refunds settle in the call: never pending


def rest_budget(response: httpx.Response) -> CallBudget:
    """The REST bucket from ``X-Shopify-Shop-Api-Call-Limit: used/size`` (full when absent)."""
    used, _, size = response.headers.get(CALL_LIMIT_HEADER, "0/40").partition("/")
    try:
        level, capacity = float(used), float(size)
    except ValueError:
        level, capacity = 0.0, 40.0
    return CallBudget(available=max(capacity - level, 0.0), cost=1.0, refill_per_second=REST_LEAK_PER_SECOND,
                      capacity=capacity)


def _order_path(shopify_order_id: str, leaf: str) -> str:
    return f"{API}/orders/{quote(shopify_order_id, safe='')}/{leaf}"
