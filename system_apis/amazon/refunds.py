"""A refund on Amazon: the closest the SP-API has is the order-adjustment feed.

The SP-API gives sellers no refund call (Seller Central's "Refund order" has
none); an adjustment goes in as a ``POST_PAYMENT_ADJUSTMENT_DATA`` feed (XML
``OrderAdjustment``): ``createFeedDocument``, the document ``PUT`` to its
pre-signed URL, ``createFeed``. Amazon processes it later; until the feed is
``DONE`` the refund answers ``pending``, its id the ``feedId``, and ``outcome``
(the port's ``refund_outcome``) reads the feed again until it settles.

Feeds take no idempotency key either. Each adjusted item carries a
``MerchantAdjustmentItemID`` naming the RMA (``hub-<rma>-<n>``); before
submitting, the adjustment feeds created since the order was placed are read
back (``getFeeds``, then each one's input document) and one naming this RMA
for this order is the refund made. That read costs two calls per earlier
adjustment feed at Amazon's slow feed rates (docs/vendors/amazon.md);
``createFeed`` is sent once, never retried. A processed feed's report
(its result document) naming a failed message is a refund refused
(``channel_refund_failed``); such a feed adjusted nothing, so a later try
submits anew.
"""

from __future__ import annotations

from decimal import Decimal

import httpx
import msgspec

from shared.errors import BackendError
from shared.models import FulfilmentLine, Refund
from system_apis.amazon import mapping
from system_apis.amazon.vendor_schemas import (
    CreateFeed, Feed, FeedDocument, FeedDocumentSpec, FeedId, Feeds, Order, OrderItem,
)
from system_apis.channel.port import RefundOutcome
from system_apis.vendor_http import VendorHttp

FEEDS = "/feeds/2021-06-30"
DEAD = frozenset({"CANCELLED", "FATAL"})


class AdjustmentFeeds:
    def __init__(self, http: VendorHttp, marketplace_id: str, seller_id: str) -> None:
        self._http = http
        self._marketplace = marketplace_id
        self._seller = seller_id

    async def refund(self, order: Order, items: list[OrderItem], lines: list[FulfilmentLine], amount: Decimal,
                     currency: str, rma_id: str) -> Refund:
        """The adjustment made for ``rma_id`` on ``order``, or a new one of ``amount`` over ``lines``."""
        made = await self._made(order, rma_id)
        feed, given = made or (await self._submit(order, items, lines, amount, currency, rma_id), amount)
        if await self._rejected(feed):
            raise BackendError("Amazon rejected the order adjustment", backend="amazon", code="channel_refund_failed")
        return Refund(refund_id=feed.feedId, authorization_id=f"amazon:{order.AmazonOrderId}", amount=given,
                      currency=currency, status="succeeded" if feed.processingStatus == "DONE" else "pending")

    async def outcome(self, feed_id: str) -> RefundOutcome:
        """Where the adjustment feed answered ``pending`` stands: ``pending`` while Amazon has not processed
        it, ``succeeded`` when ``DONE`` with no failed message; rejected (its report names a failed message,
        or the feed was ``CANCELLED`` or ``FATAL``: it adjusted nothing) is ``channel_refund_failed``."""
        feed = await self._http.get_json(Feed, "get_feed", f"{FEEDS}/feeds/{feed_id}",
                                         span_attributes={"hub.refund_id": feed_id})
        if feed.processingStatus in DEAD or await self._rejected(feed):
            raise BackendError("Amazon rejected the order adjustment", backend="amazon", code="channel_refund_failed")
        return "succeeded" if feed.processingStatus == "DONE" else "pending"

    async def _made(self, order: Order, rma_id: str) -> tuple[Feed, Decimal] | None:
        params: dict[str, str] = {"feedTypes": mapping.ADJUSTMENT_FEED, "pageSize": "100",
                                  "createdSince": mapping.amazon_time(order.PurchaseDate)}
        while True:
            page = await self._http.get_json(Feeds, "get_feeds", f"{FEEDS}/feeds", params=params,
                                             span_attributes={"hub.rma_id": rma_id})
            for feed in page.feeds:
                if feed.processingStatus in DEAD or not feed.inputFeedDocumentId:
                    continue
                try:
                    adjustments = mapping.read_adjustments(await self._download(feed.inputFeedDocumentId))
                except ValueError:  # not an XML adjustment document (another tool's flat file)
                    continue
                for adjustment in adjustments:
                    if adjustment.order_id == order.AmazonOrderId and any(
                            i.rpartition("-")[0] == f"hub-{rma_id}" for i in adjustment.item_ids
                    ) and not await self._rejected(feed):  # a rejected one adjusted nothing: made anew
                        return feed, adjustment.amount
            if not page.nextToken:
                return None
            params = {"nextToken": page.nextToken}

    async def _submit(self, order: Order, items: list[OrderItem], lines: list[FulfilmentLine], amount: Decimal,
                      currency: str, rma_id: str) -> Feed:
        by_sku = {i.SellerSKU: i for i in items}
        taken = [(by_sku[line.sku], line.quantity) for line in lines if line.sku in by_sku]
        paid = [(i.ItemPrice.Amount if i.ItemPrice else Decimal(0)) * q / max(i.QuantityOrdered, 1) for i, q in taken]
        content = mapping.adjustment_feed(self._seller, order.AmazonOrderId, rma_id, [
            (item.OrderItemId, share) for (item, _), share in zip(taken, mapping.shares(paid, amount), strict=True)],
            currency)
        span = {"hub.rma_id": rma_id, "hub.channel_order_ref": order.AmazonOrderId}
        document = self._http.decode(await self._http.post_raw(
            "create_feed_document", f"{FEEDS}/documents",
            msgspec.json.encode(FeedDocumentSpec(contentType=mapping.FEED_CONTENT_TYPE)),
            headers={"Content-Type": "application/json"}, retry=True, span_attributes=span), FeedDocument)
        await self._http.send("upload_feed_document", httpx.Request(
            "PUT", document.url, content=content, headers={"Content-Type": mapping.FEED_CONTENT_TYPE}),
            span_attributes=span)
        created = self._http.decode(await self._http.post("create_feed", f"{FEEDS}/feeds", CreateFeed(
            feedType=mapping.ADJUSTMENT_FEED, marketplaceIds=[order.MarketplaceId or self._marketplace],
            inputFeedDocumentId=document.feedDocumentId), span_attributes=span), FeedId)
        return await self._http.get_json(Feed, "get_feed", f"{FEEDS}/feeds/{created.feedId}", span_attributes=span)

    async def _rejected(self, feed: Feed) -> bool:
        """Whether a processed feed's report names a failed message (a feed still in queue: not yet known)."""
        if feed.processingStatus != "DONE" or not feed.resultFeedDocumentId:
            return False
        return mapping.report_errors(await self._download(feed.resultFeedDocumentId)) > 0

    async def _download(self, document_id: str) -> bytes:
        document = await self._http.get_json(FeedDocument, "get_feed_document", f"{FEEDS}/documents/{document_id}")
        answer = await self._http.send("download_feed_document", httpx.Request("GET", document.url))
        return answer.content
