"""``ChannelPlatformPort`` (and ``ChannelOrderLookup``) over BigCommerce's REST APIs, and its classifier.

The base URL is the store's API root (``https://api.bigcommerce.com/stores/<hash>``);
orders and shipments are v2, inventory and refunds v3. Auth: ``X-Auth-Token``.
429 carries ``X-Rate-Limit-Time-Reset-Ms`` (the wait, in milliseconds), which
becomes the throttle's ``retry_after``. v2 errors are a list of ``{"status",
"message"}``, v3 errors ``{"status", "title", "type", "errors"}``.

Shipments and refunds take no idempotency key: a shipment's ``comments`` and a
refund's ``reason`` name the hub's key (``hub <key>``) and the order's are
searched for it first; the POST is sent once. A hub location is a BigCommerce
inventory location by its ``code``; a level at a location the store lacks is
skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import httpx
import msgspec

from shared.errors import BackendThrottled
from shared.models import Address, ChannelOrder, ChannelOrderLine, FulfilmentLine, Refund
from shared.ops.probes import ProbeResult
from system_apis.bigcommerce.vendor_schemas import (
    BigAdjustment, BigAdjustmentItem, BigInventoryItem, BigLocation, BigOrder, BigOrderProduct, BigRefund,
    BigRefundItem, BigRefundOut, BigRefundPayment, BigShipment, BigShipmentItem, BigShipmentOut, BigShippingAddress,
)
from system_apis.channel.lookup import platform_order
from system_apis.channel.port import CallBudget, RefundOutcome, StorefrontLevel
from system_apis.vendor_http import VendorHttp, raise_for_vendor_status

AUTH_HEADER = "X-Auth-Token"
UNLIMITED = CallBudget(available=150.0, cost=1.0, refill_per_second=5.0, capacity=150.0)
"""Standard plans allow about 150 calls per 30 s window; a 429 tells the exact wait."""


class _Data(msgspec.Struct, kw_only=True):
    data: msgspec.Raw


def classify(response: httpx.Response) -> None:
    if response.status_code == 429:
        reset_ms = response.headers.get("X-Rate-Limit-Time-Reset-Ms", "")
        wait = int(reset_ms) / 1000 if reset_ms.isdigit() else 1.0
        raise BackendThrottled("BIGCOMMERCE is throttling the hub", backend="bigcommerce", retry_after=wait)
    raise_for_vendor_status("bigcommerce", response)


def _marked(text: str, key: str) -> bool:
    return text.split()[-2:] == ["hub", key]


class BigCommerceAdapter:
    def __init__(self, http: VendorHttp) -> None:
        self._http = http

    async def probe(self) -> ProbeResult:
        """Health: ``GET /stores/{hash}/v2/time``, the store's clock (the base URL ends at the store hash)."""
        return await self._http.probe("GET", "/v2/time")

    async def fetch_order(self, channel_order_ref: str, channel: str) -> ChannelOrder:
        order = await self._order(channel_order_ref)
        products = await self._products(order.id)
        addresses = await self._http.get_json(list[BigShippingAddress], "list_shipping_addresses",
                                              f"/v2/orders/{order.id}/shipping_addresses")
        first = addresses[0] if addresses else None
        ship_to = None if first is None or not (first.street_1 and first.city and first.country_iso2) else Address(
            name=f"{first.first_name} {first.last_name}".strip(), line1=first.street_1, line2=first.street_2,
            city=first.city, region=first.state, postal_code=first.zip, country=first.country_iso2)
        return ChannelOrder(channel=channel, channel_order_ref=str(order.id), currency=order.currency_code,
                            lines=tuple(ChannelOrderLine(sku=p.sku, quantity=p.quantity, unit_price=p.price_inc_tax)
                                        for p in products),
                            total=order.total_inc_tax, ship_to=ship_to, email=(first.email if first else "") or None)

    async def create_fulfilment(self, channel_order_ref: str, tracking_number: str, carrier: str,
                                lines: list[FulfilmentLine], idempotency_key: str) -> None:
        order = await self._order(channel_order_ref)
        path = f"/v2/orders/{order.id}/shipments"
        made = await self._http.get_json(list[BigShipment], "list_shipments", path)
        if any(_marked(s.comments, idempotency_key) for s in made):
            return
        ids = {p.sku: p.id for p in await self._products(order.id)}
        addresses = await self._http.get_json(list[BigShippingAddress], "list_shipping_addresses",
                                              f"/v2/orders/{order.id}/shipping_addresses")
        body = BigShipmentOut(order_address_id=addresses[0].id if addresses else 0, tracking_number=tracking_number,
                              tracking_carrier=carrier.lower(), comments=f"Shipped by hub {idempotency_key}",
                              items=[BigShipmentItem(order_product_id=ids[line.sku], quantity=line.quantity)
                                     for line in lines if line.sku in ids])
        await self._http.post("create_shipment", path, body)

    async def set_inventory(self, sku: str, location: str, available: int) -> CallBudget:
        return await self.set_inventory_levels([StorefrontLevel(sku=sku, location=location, available=available)])

    async def set_inventory_levels(self, levels: Sequence[StorefrontLevel]) -> CallBudget:
        """One absolute adjustment (safe to repeat, so retried)."""
        ids = await self._locations()
        items = [BigAdjustmentItem(location_id=ids[lv.location], sku=lv.sku, quantity=lv.available)
                 for lv in levels if lv.location in ids]
        if items:
            await self._http.put("set_inventory", "/v3/inventory/adjustments/absolute", BigAdjustment(items=items))
        return UNLIMITED

    async def inventory_levels(self, skus: Sequence[str]) -> list[StorefrontLevel]:
        wanted = sorted(set(skus))
        if not wanted:
            return []
        answer = await self._http.get_json(_Data, "list_inventory", "/v3/inventory/items",
                                           params={"sku:in": ",".join(wanted)})
        return [StorefrontLevel(sku=item.identity.sku, location=at.location_code, available=at.available_to_sell)
                for item in msgspec.json.decode(answer.data, type=list[BigInventoryItem]) for at in item.locations]

    async def refund(self, channel_order_ref: str, lines: list[FulfilmentLine], amount: Decimal, currency: str,
                     rma_id: str) -> Refund:
        order = await self._order(channel_order_ref)
        path = f"/v3/orders/{order.id}/payment_actions/refunds"
        found = await self._refund_for(path, rma_id)
        if found is None:
            ids = {p.sku: p.id for p in await self._products(order.id)}
            body = BigRefundOut(items=[BigRefundItem(item_id=ids[line.sku], quantity=line.quantity)
                                       for line in lines if line.sku in ids],
                                payments=[BigRefundPayment(amount=amount)], reason=f"Returned: hub {rma_id}")
            answer = await self._http.post("create_refund", path, body)
            found = msgspec.json.decode(self._http.decode(answer, _Data).data, type=BigRefund)
        return Refund(refund_id=str(found.id), authorization_id=f"bigcommerce:{channel_order_ref}",
                      amount=found.total_amount, currency=currency, status="succeeded")

    async def refund_outcome(self, channel_order_ref: str, refund_id: str) -> RefundOutcome:
        return "succeeded"  # its refunds settle in the call: never pending

    async def _refund_for(self, path: str, rma_id: str) -> BigRefund | None:
        made = msgspec.json.decode((await self._http.get_json(_Data, "list_refunds", path)).data, type=list[BigRefund])
        return next((r for r in made if _marked(r.reason, rma_id)), None)

    async def _locations(self) -> dict[str, int]:
        answer = await self._http.get_json(_Data, "list_locations", "/v3/inventory/locations")
        return {loc.code: loc.id for loc in msgspec.json.decode(answer.data, type=list[BigLocation])}

    async def _products(self, order_id: int) -> list[BigOrderProduct]:
        return await self._http.get_json(list[BigOrderProduct], "list_order_products",
                                         f"/v2/orders/{order_id}/products")

    async def _order(self, ref: str) -> BigOrder:
        return await platform_order(self._http, BigOrder, "BigCommerce", ref, lambda r: f"/v2/orders/{r}")
