"""The Amazon seller sandbox: merchant-fulfilled orders of the CONTRACT section 9 items, their
shipment confirmations (packages by ``packageReferenceId``), listings' fulfilment availability,
and feeds (documents, adjustment feeds processed at once). Orders are placed by a control and
announced by nothing: the hub polls ``getOrders``."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal

import msgspec

from system_apis.amazon import mapping
from system_apis.amazon.vendor_schemas import (
    ConfirmShipment, CreateFeed, Feed, ListingsPatch, Money, Order, OrderAddress, OrderBuyer, OrderItem,
)
from system_apis.sandbox import seed
from system_apis.sandbox.amazon.auth import SandboxAuth
from system_apis.sandbox.channel_controls import OrderIn
from system_apis.sandbox.config import SandboxConfig
from system_apis.sandbox.events import Announcer

MARKETPLACE = "ATVPDKIKX0DER"
ADDRESS = OrderAddress(City="SPRINGFIELD", StateOrRegion="IL", PostalCode="62701-1234", CountryCode="US")
"""What ``getOrders`` shows of the address without a Restricted Data Token: no name, no street."""
FULL_ADDRESS = msgspec.structs.replace(ADDRESS, Name="Jane Doe", AddressLine1="1 Main St", AddressLine2="Apt 2")
"""The same address as an RDT for ``shippingAddress`` shows it."""
BUYER_EMAIL = "jane-doe@marketplace.amazon.com"


class SpNotFound(Exception):
    pass


class SpInvalid(Exception):
    pass


class Package(msgspec.Struct, kw_only=True):
    """A shipment confirmation as the sandbox keeps it (the ``fulfillments`` view)."""

    order_id: str
    packageReferenceId: str  # noqa: N815
    carrierCode: str  # noqa: N815
    trackingNumber: str  # noqa: N815
    items: dict[str, int]


class Adjusted(msgspec.Struct, kw_only=True):
    """An order adjustment a feed made (the ``refunds`` view)."""

    order_id: str
    feed_id: str
    amount: Decimal
    adjustment_item_ids: list[str]


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class AmazonBackend:
    name = "amazon"

    def __init__(self, announcer: Announcer, config: SandboxConfig | None = None) -> None:
        self.announcer = announcer
        self._order_ids = itertools.count(3_001_001)  # grows across resets, as Amazon's ids do
        self._ids = itertools.count(70_001)
        self.reset()

    def reset(self) -> None:
        self.orders: dict[str, Order] = {}
        self.items: dict[str, list[OrderItem]] = {}
        self.packages: list[Package] = []
        self.listings: dict[str, dict[str, int]] = {item.sku: {} for item in seed.ITEMS}
        self.documents: dict[str, bytes | None] = {}
        self.feeds: dict[str, Feed] = {}
        self.adjusted: list[Adjusted] = []
        self.hold_feeds = False
        """Control: feeds wait ``IN_QUEUE`` until ``process`` (Amazon takes minutes), instead of at once."""
        self.auth = SandboxAuth()
        self.buckets: dict[str, tuple[float, float]] = {}
        """operation -> (tokens, when last counted): the usage-plan buckets (``limits.py`` of this package)."""

    def create(self, body: OrderIn) -> Order:
        number = next(self._order_ids)
        order_id = f"113-{number:07d}-{number % 9_999_991:07d}"
        items = [OrderItem(OrderItemId=f"{next(self._ids):014d}", SellerSKU=line.sku, ASIN=f"B0SANDBOX{n}",
                           QuantityOrdered=line.quantity,
                           ItemPrice=Money(CurrencyCode=seed.CURRENCY, Amount=Decimal(line.price) * line.quantity))
                 for n, line in enumerate(body.line_items)]
        stamp = now()
        order = Order(AmazonOrderId=order_id, PurchaseDate=stamp, LastUpdateDate=stamp, OrderStatus="Unshipped",
                      MarketplaceId=MARKETPLACE, NumberOfItemsUnshipped=sum(i.QuantityOrdered for i in items),
                      OrderTotal=Money(CurrencyCode=seed.CURRENCY, Amount=sum(
                          (i.ItemPrice.Amount for i in items if i.ItemPrice), Decimal("0.00"))),
                      ShippingAddress=ADDRESS, BuyerInfo=OrderBuyer())
        self.orders[order_id], self.items[order_id] = order, items
        self.announcer.outbox.append(order)
        return order

    def order(self, order_id: str) -> Order:
        if order_id not in self.orders:
            raise SpNotFound(f"Order {order_id} not found")
        return self.orders[order_id]

    @staticmethod
    def with_pii(order: Order, *, address: bool, buyer: bool) -> Order:
        """``order`` as a call shows it: the full ship-to and the buyer's email only when granted."""
        return msgspec.structs.replace(order, ShippingAddress=FULL_ADDRESS if address else order.ShippingAddress,
                                       BuyerInfo=OrderBuyer(BuyerEmail=BUYER_EMAIL) if buyer else order.BuyerInfo)

    def updated_since(self, since: str) -> list[Order]:
        """Orders last updated at or after ``since`` (ISO 8601), oldest update first."""
        try:
            bound = mapping.amazon_time(since)
        except ValueError as exc:
            raise SpInvalid("LastUpdatedAfter is not a valid ISO 8601 date time") from exc
        return sorted((o for o in self.orders.values() if o.LastUpdateDate >= bound),
                      key=lambda o: (o.LastUpdateDate, o.AmazonOrderId))

    def confirm(self, order_id: str, body: ConfirmShipment) -> None:
        """A package confirmed; one with a ``packageReferenceId`` seen before replaces that package."""
        order = self.order(order_id)
        if order.OrderStatus in ("Canceled", "Pending"):
            raise SpInvalid(f"Order {order_id} cannot be confirmed in status {order.OrderStatus}")
        detail = body.packageDetail
        items = {i.OrderItemId: i for i in self.items[order_id]}
        others = [p for p in self.packages
                  if p.order_id == order_id and p.packageReferenceId != detail.packageReferenceId]
        wanted = {s.orderItemId: s.quantity for s in detail.orderItems}
        for item_id, qty in wanted.items():
            done = sum(p.items.get(item_id, 0) for p in others)
            if item_id not in items or qty <= 0 or done + qty > items[item_id].QuantityOrdered:
                raise SpInvalid(f"Invalid quantity for order item {item_id}")
        package = Package(order_id=order_id, packageReferenceId=detail.packageReferenceId,
                          carrierCode=detail.carrierCode, trackingNumber=detail.trackingNumber, items=wanted)
        self.packages = [p for p in self.packages
                         if not (p.order_id == order_id and p.packageReferenceId == detail.packageReferenceId)]
        self.packages.append(package)
        shipped = {i: sum(p.items.get(i, 0) for p in self.packages if p.order_id == order_id) for i in items}
        self.items[order_id] = [msgspec.structs.replace(i, QuantityShipped=shipped[i.OrderItemId])
                                for i in self.items[order_id]]
        ordered = sum(i.QuantityOrdered for i in items.values())
        total = sum(shipped.values())
        self.orders[order_id] = msgspec.structs.replace(
            order, OrderStatus="Shipped" if total == ordered else "PartiallyShipped", LastUpdateDate=now(),
            NumberOfItemsShipped=total, NumberOfItemsUnshipped=ordered - total)

    def patch_listing(self, sku: str, body: ListingsPatch) -> bool:
        """Whether the listing took the patch (``False``: no listing of that SKU, ``INVALID``)."""
        if sku not in self.listings:
            return False
        for patch in body.patches:
            if patch.path != "/attributes/fulfillment_availability" or patch.op not in ("replace", "merge"):
                raise SpInvalid(f"Unsupported patch {patch.op} {patch.path}")
            for entry in patch.value:
                self.listings[sku][entry.fulfillment_channel_code] = entry.quantity
        return True

    def new_document(self) -> str:
        document_id = f"amzn1.tortuga.4.na.{next(self._ids)}"
        self.documents[document_id] = None
        return document_id

    def create_feed(self, body: CreateFeed) -> Feed:
        """A feed, processed at once (Amazon takes minutes) unless held: its adjustments recorded, or ``FATAL``."""
        if self.documents.get(body.inputFeedDocumentId) is None:
            raise SpInvalid("inputFeedDocumentId has no uploaded content")
        feed_id = str(next(self._ids))
        if self.hold_feeds:
            feed = Feed(feedId=feed_id, feedType=body.feedType, processingStatus="IN_QUEUE", createdTime=now(),
                        inputFeedDocumentId=body.inputFeedDocumentId)
            self.feeds[feed_id] = feed
            return feed
        return self._process(feed_id, body.feedType, body.inputFeedDocumentId, now())

    def process(self, feed_id: str) -> Feed:
        """Control: a held feed processed now."""
        feed = self.feeds.get(feed_id)
        if feed is None:
            raise SpNotFound(f"Feed {feed_id} not found")
        if feed.processingStatus != "IN_QUEUE":
            return feed
        return self._process(feed_id, feed.feedType, feed.inputFeedDocumentId, feed.createdTime)

    def _process(self, feed_id: str, feed_type: str, document_id: str, created: str) -> Feed:
        status, report = "DONE", None
        if feed_type == mapping.ADJUSTMENT_FEED:
            status, report = self._adjust(feed_id, self.documents[document_id] or b"")
        result = self.new_document() if report is not None else None
        if result is not None:
            self.documents[result] = report
        feed = Feed(feedId=feed_id, feedType=feed_type, processingStatus=status, createdTime=created,
                    inputFeedDocumentId=document_id, resultFeedDocumentId=result)
        self.feeds[feed_id] = feed
        return feed

    def _adjust(self, feed_id: str, content: bytes) -> tuple[str, bytes | None]:
        """The feed's status and processing report: a message that would give back more than the order's
        total (or names no order) is an error in the report and adjusts nothing."""
        try:
            adjustments = mapping.read_adjustments(content)
        except ValueError:
            return "FATAL", None
        failed = 0
        for adjustment in adjustments:
            order = self.orders.get(adjustment.order_id)
            given = sum((a.amount for a in self.adjusted if a.order_id == adjustment.order_id), Decimal(0))
            if order is None or order.OrderTotal is None or given + adjustment.amount > order.OrderTotal.Amount:
                failed += 1
                continue
            self.adjusted.append(Adjusted(order_id=adjustment.order_id, feed_id=feed_id, amount=adjustment.amount,
                                          adjustment_item_ids=list(adjustment.item_ids)))
        return "DONE", mapping.processing_report(feed_id, len(adjustments), failed)
