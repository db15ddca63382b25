"""``ChannelPlatformPort`` and ``ChannelOrderFeed`` over the Amazon Selling Partner API (merchant-fulfilled).

Auth: a Login with Amazon access token in ``x-amz-access-token``. The
connection's credential is the LWA refresh token, client id and secret
(``<refresh token>;<client id>;<client secret>``), exchanged and refreshed by
``system_apis/amazon/lwa.py``; a bare access token (the old form) is sent as
is. Limits and errors: ``system_apis/amazon/limits.py``.

- Orders in: Amazon sends the hub no order webhooks, so orders are polled
  (``orders_since``; ``system_apis/channel/polling.py``): ``getOrders`` by
  ``LastUpdatedAfter``, every ``NextToken`` page walked, then ``getOrderItems``
  per order taken. Only ``Unshipped`` and ``PartiallyShipped`` orders are
  captured (paid, not shipped); a ``Pending`` one comes back on a later poll
  when it is paid, its ``LastUpdateDate`` having moved. ``getOrders`` is called
  with a Restricted Data Token for ``buyerInfo`` and ``shippingAddress`` (one
  RDT cached until its ``expiresIn``), so the order carries its ship-to
  address (released to the warehouse) and buyer email; the PII is never
  logged nor put in a span (docs/vendors/amazon.md). ``restricted_data = false``
  polls without (no street address: Amazon answers city and postal code only).
- Fulfilments: ``confirmShipment`` (204) has no idempotency key. The order is
  read first: a ``Shipped`` one is confirmed already and nothing is sent; else
  the package's ``packageReferenceId`` is derived from the hub's key, and
  Amazon takes a repeat of one as an edit of that package, never a second
  shipment: so the POST is safe to retry.
- Levels: Listings Items ``patchListingsItem`` replaces the SKU's
  ``fulfillment_availability`` quantity at one fulfilment channel code, one
  SKU a call (absolute: retried). With Amazon's multi-location inventory each
  hub location is a supply source, its code the location's own name unless
  ``supply_sources`` maps it to another; a seller without it sets
  ``fulfillment_channel = "DEFAULT"`` (one merchant-fulfilled quantity per
  SKU, every level written there: such a connection should serve one location).
- Refunds: the SP-API has no refund call for sellers; the closest is the
  order-adjustment feed (``system_apis/amazon/refunds.py``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import msgspec

from shared.errors import BackendError, BackendThrottled, NotFound
from shared.models import FulfilmentLine, Refund
from shared.ops.probes import ProbeResult
from system_apis.amazon import mapping
from system_apis.amazon.limits import PLANS
from system_apis.amazon.lwa import ACCESS_TOKEN_HEADER, LWA_ENDPOINT, Expiring, LwaAuth, lwa_credentials
from system_apis.amazon.refunds import AdjustmentFeeds
from system_apis.amazon.vendor_schemas import (
    Availability, ConfirmShipment, CreateRestrictedDataToken, ListingsItem, ListingsPatch, ListingsSubmission, Order,
    OrderAnswer, OrderItem, OrderItemsAnswer, OrdersAnswer, PackageDetail, PatchOperation, RestrictedDataToken,
    RestrictedResource, ShipmentItem,
)
from system_apis.channel.port import CallBudget, FeedPage, RefundOutcome, StorefrontLevel
from system_apis.vendor_http import VendorHttp

SANDBOX_ACCESS_TOKEN = "Atza|sandbox-access-token"
LOOKBACK = timedelta(hours=24)
"""How far back the first poll looks (no cursor yet)."""
ORDERS = "/orders/v0/orders"
LISTINGS = "/listings/2021-08-01/items"
RESTRICTED_DATA_TOKEN = "/tokens/2021-03-01/restrictedDataToken"
PII = ["buyerInfo", "shippingAddress"]
"""What the RDT for ``getOrders`` asks for: the buyer's email and the ship-to's name and street."""


def access_token(credential: str) -> dict[str, str]:
    """The header of a bare access token; none for the LWA refresh form (``LwaAuth`` signs each call)."""
    return {ACCESS_TOKEN_HEADER: credential} if credential and lwa_credentials(credential) is None else {}


class AmazonAdapter:
    _clock = staticmethod(time.monotonic)

    def __init__(self, http: VendorHttp, *, marketplace_id: str = "ATVPDKIKX0DER", seller_id: str = "A2SANDBOXSELLER",
                 supply_sources: dict[str, str] | None = None, fulfillment_channel: str | None = None,
                 product_type: str = "PRODUCT", page_size: int = 100, restricted_data: bool = True,
                 lwa_endpoint: str = LWA_ENDPOINT, credential: str = "") -> None:
        self._http = http
        if (lwa := lwa_credentials(credential)) is not None:
            http.authenticate(LwaAuth(lwa, lwa_endpoint, clock=lambda: self._clock()))
        self._restricted = restricted_data
        self._rdt = Expiring(lambda: self._clock())
        self._marketplace = marketplace_id
        self._seller = seller_id
        self._sources = dict(supply_sources or {})
        self._channel = fulfillment_channel
        self._product_type = product_type
        self._page_size = max(1, min(page_size, 100))
        self._feeds = AdjustmentFeeds(http, marketplace_id, seller_id)
        self._quiet_until = 0.0
        """Until when (``_clock``) polling asks nothing: the last ``getOrders`` was throttled."""

    async def probe(self) -> ProbeResult:
        """Health: Sellers API ``GET /sellers/v1/marketplaceParticipations`` (its own usage plan, not the Orders one)."""
        return await self._http.probe("GET", "/sellers/v1/marketplaceParticipations")

    async def orders_since(self, cursor: str | None, channel: str) -> FeedPage:
        """Orders last updated at or after ``cursor`` (any ISO 8601 time; ``None``: ``LOOKBACK`` ago), every
        ``NextToken`` page; those not paid yet, shipped or cancelled are skipped."""
        since = mapping.amazon_time(cursor) if cursor else mapping.amazon_time(
            (datetime.now(UTC) - LOOKBACK).isoformat())
        if self._clock() < self._quiet_until:
            return FeedPage(orders=[], cursor=since)  # getOrders' bucket is still empty: not asked, not throttled
        try:
            found = await self._updated(since)
        except BackendThrottled as exc:
            self._quiet_until = self._clock() + (exc.retry_after or PLANS["getOrders"][0] ** -1)
            raise
        orders = [mapping.to_channel_order(o, await self._items(o.AmazonOrderId), channel)
                  for o in found if o.OrderStatus in mapping.CAPTURED]
        latest = max((mapping.amazon_time(o.LastUpdateDate) for o in found), default=since)
        return FeedPage(orders=[o for o in orders if o.lines], cursor=latest)

    async def _updated(self, since: str) -> list[Order]:
        """Every order ``getOrders`` lists as updated since ``since``, every ``NextToken`` page walked."""
        found: list[Order] = []
        params: dict[str, str] = {"MarketplaceIds": self._marketplace, "LastUpdatedAfter": since,
                                  "MaxResultsPerPage": str(self._page_size)}
        while True:
            answer = await self._restricted_get(OrdersAnswer, "get_orders", ORDERS, params)
            found += answer.payload.Orders
            if not answer.payload.NextToken:
                return found
            params = {"MarketplaceIds": self._marketplace, "NextToken": answer.payload.NextToken}
        return found

    async def _restricted_get(self, type_: type[OrdersAnswer], operation: str, path: str,
                              params: dict[str, str]) -> OrdersAnswer:
        """A GET of a restricted operation with the cached RDT (a new one, once, if Amazon refuses it)."""
        if not self._restricted:
            return await self._http.get_json(type_, operation, path, params=params)
        rdt = await self._rdt.get(self._new_rdt)
        try:
            return await self._http.get_json(type_, operation, path, params=params,
                                             headers={ACCESS_TOKEN_HEADER: rdt})
        except BackendError as exc:
            if exc.extra.get("vendor_code") != "Unauthorized":
                raise
            self._rdt.drop(rdt)  # expired or revoked before its time: one new RDT, one more try
        return await self._http.get_json(type_, operation, path, params=params,
                                         headers={ACCESS_TOKEN_HEADER: await self._rdt.get(self._new_rdt)})

    async def _new_rdt(self) -> tuple[str, float]:
        body = CreateRestrictedDataToken(restrictedResources=[
            RestrictedResource(method="GET", path=ORDERS, dataElements=PII)])
        answer = self._http.decode(await self._http.post_raw(
            "create_restricted_data_token", RESTRICTED_DATA_TOKEN, msgspec.json.encode(body),
            headers={"Content-Type": "application/json"}, retry=True), RestrictedDataToken)
        return answer.restrictedDataToken, float(answer.expiresIn)

    async def create_fulfilment(self, channel_order_ref: str, tracking_number: str, carrier: str,
                                lines: list[FulfilmentLine], idempotency_key: str) -> None:
        order = await self._order(channel_order_ref)
        if order.OrderStatus == "Shipped":
            return  # confirmed already (by this key or another): Amazon would take a second as a new package
        if order.OrderStatus == "Canceled":
            raise BackendError(f"Amazon order {channel_order_ref} is cancelled", backend="amazon",
                               code="channel_order_cancelled")
        ids = {i.SellerSKU: i.OrderItemId for i in await self._items(order.AmazonOrderId)}
        items = [ShipmentItem(orderItemId=ids[line.sku], quantity=line.quantity) for line in lines if line.sku in ids]
        body = ConfirmShipment(marketplaceId=order.MarketplaceId or self._marketplace, packageDetail=PackageDetail(
            packageReferenceId=mapping.package_reference(idempotency_key), carrierCode=carrier,
            trackingNumber=tracking_number, shipDate=mapping.amazon_time(datetime.now(UTC).isoformat()),
            orderItems=items))
        await self._http.post_raw("confirm_shipment", f"{ORDERS}/{order.AmazonOrderId}/shipmentConfirmation",
                                  msgspec.json.encode(body), headers={"Content-Type": "application/json"}, retry=True,
                                  span_attributes={"hub.channel_order_ref": channel_order_ref})

    async def set_inventory(self, sku: str, location: str, available: int) -> CallBudget:
        return await self.set_inventory_levels([StorefrontLevel(sku=sku, location=location, available=available)])

    async def set_inventory_levels(self, levels: Sequence[StorefrontLevel]) -> CallBudget:
        """One ``patchListingsItem`` per level (absolute: safe to repeat, so retried); a SKU Amazon has no
        listing for answers ``INVALID`` and is skipped."""
        for level in levels:
            code = self._channel or self._sources.get(level.location, level.location)
            body = ListingsPatch(productType=self._product_type, patches=[PatchOperation(
                op="replace", path="/attributes/fulfillment_availability",
                value=[Availability(fulfillment_channel_code=code, quantity=max(level.available, 0))])])
            path = f"{LISTINGS}/{self._seller}/{level.sku}?marketplaceIds={self._marketplace}"
            answer = await self._http.put("patch_listings_item", path, body, method="PATCH",
                                          span_attributes={"hub.sku": level.sku, "hub.location": level.location})
            self._http.decode(answer, ListingsSubmission)  # INVALID (no such listing): skipped, as documented
        rate, burst = PLANS["patchListingsItem"]
        return CallBudget(available=float(max(burst - len(levels), 0)), cost=1.0, refill_per_second=rate,
                          capacity=float(burst))

    async def inventory_levels(self, skus: Sequence[str]) -> list[StorefrontLevel]:
        by_code = {code: location for location, code in self._sources.items()}
        found: list[StorefrontLevel] = []
        for sku in sorted(set(skus)):
            try:
                item = await self._http.get_json(ListingsItem, "get_listings_item", f"{LISTINGS}/{self._seller}/{sku}",
                                                 params={"marketplaceIds": self._marketplace,
                                                         "includedData": "fulfillmentAvailability"})
            except NotFound:
                continue
            found += [StorefrontLevel(sku=sku, location=by_code.get(a.fulfillmentChannelCode, a.fulfillmentChannelCode),
                                      available=a.quantity) for a in item.fulfillmentAvailability]
        return found

    async def refund(self, channel_order_ref: str, lines: list[FulfilmentLine], amount: Decimal, currency: str,
                     rma_id: str) -> Refund:
        order = await self._order(channel_order_ref)
        items = await self._items(order.AmazonOrderId)
        return await self._feeds.refund(order, items, lines, amount, currency, rma_id)

    async def refund_outcome(self, channel_order_ref: str, refund_id: str) -> RefundOutcome:
        """The adjustment feed ``refund_id`` answered ``pending``, read again (``getFeed``, its report)."""
        return await self._feeds.outcome(refund_id)

    async def _order(self, ref: str) -> Order:
        if not mapping.ORDER_ID.match(ref):
            raise NotFound(f"unknown Amazon order {ref}", code="unknown_channel_order")
        try:
            return (await self._http.get_json(OrderAnswer, "get_order", f"{ORDERS}/{ref}")).payload
        except NotFound as exc:
            raise NotFound(f"unknown Amazon order {ref}", code="unknown_channel_order") from exc

    async def _items(self, order_id: str) -> list[OrderItem]:
        """The order's items, every ``NextToken`` page."""
        found: list[OrderItem] = []
        params: dict[str, str] | None = None
        while True:
            answer = await self._http.get_json(OrderItemsAnswer, "get_order_items", f"{ORDERS}/{order_id}/orderItems",
                                               params=params)
            found += answer.payload.OrderItems
            if not answer.payload.NextToken:
                return found
            params = {"NextToken": answer.payload.NextToken}
