"""``ChannelPlatformPort`` (and ``ChannelOrderFeed``) over the Adobe Commerce / Magento 2 REST API.

Auth: ``Authorization: Bearer <integration access token>``. Errors are
``{"message", "parameters"}`` with no code: the status decides (404
``NotFound``, 429 a throttle honouring ``Retry-After``, 5xx unavailable, other
4xx permanent; the message never travels). Magento open source sends no
webhooks, so orders come in by polling ``GET /V1/orders`` by ``created_at``
(``orders_since``; ``system_apis/channel/polling.py``).

Neither ``/ship`` nor ``/refund`` takes an idempotency key: each carries a
comment ``hub <key>`` and the order's shipments (credit memos) are searched
for it first; the POST is sent once, never retried. A location is an MSI
source (``source_code``): levels are MSI source items.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx

from shared.errors import NotFound
from shared.models import FulfilmentLine, Refund
from shared.ops.probes import ProbeResult
from system_apis.channel.lookup import platform_order
from system_apis.channel.port import CallBudget, FeedPage, RefundOutcome, StorefrontLevel
from system_apis.magento import mapping
from system_apis.magento.vendor_schemas import (
    CreditMemoResults, MageComment, MageItemQty, MageOrder, MageTrack, OrderResults, RefundArguments, RefundBody,
    ShipBody, ShipmentResults, SourceItem, SourceItemResults, SourceItems,
)
from system_apis.vendor_http import VendorHttp, raise_vendor_error

API = "/rest/V1"
LOOKBACK = timedelta(hours=24)
"""How far back the first poll looks (no cursor yet): orders of the last day; older ones never."""
UNLIMITED = CallBudget(available=1000.0, cost=1.0, refill_per_second=1000.0, capacity=1000.0)
"""Magento states no REST call limit (a CDN or Adobe Commerce Cloud may: then 429)."""


def classify(response: httpx.Response) -> None:
    if response.status_code < 300:
        return
    raise_vendor_error("magento", response, None, throttled=response.status_code == 429,
                       not_found=response.status_code == 404, default_wait=1.0)


def _marked(comments: list[MageComment], key: str) -> bool:
    return any(c.comment.split()[-2:] == ["hub", key] for c in comments)


class MagentoAdapter:
    def __init__(self, http: VendorHttp) -> None:
        self._http = http

    async def probe(self) -> ProbeResult:
        """Health: ``GET /rest/V1/store/storeConfigs``, the store views' configuration."""
        return await self._http.probe("GET", f"{API}/store/storeConfigs")

    async def create_fulfilment(self, channel_order_ref: str, tracking_number: str, carrier: str,
                                lines: list[FulfilmentLine], idempotency_key: str) -> None:
        order = await self._order(channel_order_ref)
        made = await self._http.get_json(ShipmentResults, "find_shipments", f"{API}/shipments",
                                         params=mapping.search("order_id", str(order.entity_id)))
        if any(_marked(s.comments, idempotency_key) for s in made.items):
            return
        body = ShipBody(items=self._quantities(order, lines), tracks=[MageTrack(track_number=tracking_number,
                                                                               title=carrier)],
                        comment=MageComment(comment=f"Shipped by hub {idempotency_key}"))
        await self._http.post("ship_order", f"{API}/order/{order.entity_id}/ship", body,
                              span_attributes={"hub.channel_order_ref": channel_order_ref})

    async def set_inventory(self, sku: str, location: str, available: int) -> CallBudget:
        return await self.set_inventory_levels([StorefrontLevel(sku=sku, location=location, available=available)])

    async def set_inventory_levels(self, levels: Sequence[StorefrontLevel]) -> CallBudget:
        """One ``POST /V1/inventory/source-items`` (absolute quantities: safe to repeat, so retried)."""
        body = SourceItems(sourceItems=[SourceItem(sku=lv.sku, source_code=lv.location, quantity=Decimal(lv.available),
                                                   status=1 if lv.available > 0 else 0) for lv in levels])
        await self._http.put("save_source_items", f"{API}/inventory/source-items", body, method="POST",
                             span_attributes={"hub.levels": len(levels)})
        return UNLIMITED

    async def inventory_levels(self, skus: Sequence[str]) -> list[StorefrontLevel]:
        wanted, found, page, pages = sorted(set(skus)), [], 1, 1
        while wanted and page <= pages:
            answer = await self._http.get_json(SourceItemResults, "list_source_items", f"{API}/inventory/source-items",
                                               params=mapping.search("sku", ",".join(wanted), "in", page=page))
            found += [StorefrontLevel(sku=i.sku, location=i.source_code, available=int(i.quantity))
                      for i in answer.items]
            pages, page = mapping.pages(answer.total_count), page + 1
        return found

    async def refund(self, channel_order_ref: str, lines: list[FulfilmentLine], amount: Decimal, currency: str,
                     rma_id: str) -> Refund:
        order = await self._order(channel_order_ref)
        search = mapping.search("order_id", str(order.entity_id))
        memo = await self._memo(search, rma_id)
        if memo is None:
            items = self._quantities(order, lines)
            prices = {i.item_id: i.price for i in order.items}
            plus, minus = mapping.adjustment(sum((prices[i.order_item_id] * i.qty for i in items), Decimal(0)), amount)
            body = RefundBody(items=items, comment=MageComment(comment=f"Refunded by hub {rma_id}"),
                              arguments=RefundArguments(adjustment_positive=plus, adjustment_negative=minus))
            await self._http.post("refund_order", f"{API}/order/{order.entity_id}/refund", body,
                                  span_attributes={"hub.rma_id": rma_id})
            memo = await self._memo(search, rma_id)
        if memo is None:
            raise NotFound(f"Magento made no credit memo for {rma_id}", code="unknown_channel_order")
        return Refund(refund_id=str(memo.entity_id), authorization_id=f"magento:{channel_order_ref}",
                      amount=memo.grand_total, currency=currency, status="succeeded")

    async def refund_outcome(self, channel_order_ref: str, refund_id: str) -> RefundOutcome:
        return "succeeded"  # its refunds settle in the call: never pending

    async def orders_since(self, cursor: str | None, channel: str) -> FeedPage:
        """Orders created at or after ``cursor`` (``YYYY-MM-DD HH:MM:SS``, UTC; ``None``: ``LOOKBACK`` ago),
        every page; cancelled ones skipped."""
        since = cursor or (datetime.now(UTC) - LOOKBACK).strftime("%Y-%m-%d %H:%M:%S")
        found, page, pages = [], 1, 1
        while page <= pages:
            answer = await self._http.get_json(OrderResults, "list_orders", f"{API}/orders", params=mapping.search(
                "created_at", since, "gteq", page=page, sort="created_at"))
            found += answer.items
            pages, page = mapping.pages(answer.total_count), page + 1
        latest = max((o.created_at for o in found), default=since)
        return FeedPage(orders=[mapping.to_channel_order(o, channel) for o in found if o.state != "canceled"],
                        cursor=latest)

    async def _memo(self, search: dict[str, str], rma_id: str):  # noqa: ANN202
        made = await self._http.get_json(CreditMemoResults, "find_credit_memos", f"{API}/creditmemos", params=search)
        return next((m for m in made.items if _marked(m.comments, rma_id)), None)

    async def _order(self, ref: str) -> MageOrder:
        return await platform_order(self._http, MageOrder, "Magento", ref, lambda r: f"{API}/orders/{r}")

    @staticmethod
    def _quantities(order: MageOrder, lines: list[FulfilmentLine]) -> list[MageItemQty]:
        ids = {i.sku: i.item_id for i in order.items if i.parent_item_id is None}
        return [MageItemQty(order_item_id=ids[line.sku], qty=line.quantity) for line in lines if line.sku in ids]
