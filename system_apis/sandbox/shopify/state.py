"""The Shopify sandbox state: inventory levels, orders, fulfilments, refunds and the API call limit.

The storefront starts with no inventory levels after a reset: the hub's
storefront inventory push sets them. Fulfilments honour an
``Idempotency-Key`` header: a repeated key answers the first fulfilment.
Refunds (``shopify_refunds``) do not, as on Shopify.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable

from system_apis.sandbox.config import SandboxConfig
from system_apis.sandbox.events import Announcer
from system_apis.sandbox.formats import rfc3339_now
from system_apis.sandbox.shopify.orders import ShopifyOrders
from system_apis.sandbox.shopify.refunds import ShopifyRefunds
from system_apis.sandbox.shopify.schemas import (
    FulfilledLine,
    Fulfillment,
    FulfillmentIn,
    InventoryLevel,
    InventorySet,
    InventoryView,
    LocationView,
    ShopifyInvalid,
    ShopifyNotFound,
)

BUCKET_SIZE = 40
LEAK_PER_SECOND = 2.0
COST_BUCKET_SIZE = 1000
COST_RESTORE_PER_SECOND = 50.0
"""GraphQL's cost-based limit (points), beside REST's call bucket."""


class LeakyBucket:
    """Shopify's REST call limit: each call adds one, ``leak_per_second`` drain out, ``size`` at most."""

    def __init__(
        self, size: int = BUCKET_SIZE, leak_per_second: float = LEAK_PER_SECOND,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.size = size
        self.leak_per_second = leak_per_second
        self.clock = clock
        self.reset()

    def reset(self) -> None:
        self._level = 0.0
        self._at = self.clock()

    def take(self, cost: float = 1.0) -> int | None:
        """Add ``cost`` (one call); what is now in the bucket, or ``None`` when it has no room (refused)."""
        self._leak()
        if self._level + cost > self.size:
            return None
        self._level += cost
        return min(math.ceil(self._level), self.size)

    def room(self) -> float:
        """What the bucket can still take now."""
        self._leak()
        return self.size - self._level

    def _leak(self) -> None:
        now = self.clock()
        self._level = max(0.0, self._level - max(0.0, now - self._at) * self.leak_per_second)
        self._at = now


class ShopifyBackend:
    """The sandbox shop."""

    name = "shopify"

    def __init__(self, announcer: Announcer, config: SandboxConfig | None = None) -> None:
        self.announcer = announcer
        self.bucket = LeakyBucket()
        self.cost_bucket = LeakyBucket(COST_BUCKET_SIZE, COST_RESTORE_PER_SECOND)
        self.orders = ShopifyOrders(announcer)
        self.refunds = ShopifyRefunds(self.orders)
        self.reset()

    def reset(self) -> None:
        self.bucket.reset()
        self.cost_bucket.reset()
        self.orders.reset()
        self.refunds.reset()
        self._levels: dict[tuple[str, str], InventoryLevel] = {}
        self._fulfillments: list[Fulfillment] = []
        self._by_key: dict[str, Fulfillment] = {}
        self._fulfillment_ids = itertools.count(6_000_000_001)

    def set_level(self, change: InventorySet) -> InventoryLevel:
        level = InventoryLevel(
            inventory_item_id=str(change.inventory_item_id),
            location_id=str(change.location_id),
            available=change.available,
            updated_at=rfc3339_now(),
        )
        self._levels[(level.inventory_item_id, level.location_id)] = level
        return level

    def levels(self, skus: list[str] | None, locations: list[str] | None) -> list[InventoryLevel]:
        return [
            level
            for key, level in sorted(self._levels.items())
            if (skus is None or key[0] in skus) and (locations is None or key[1] in locations)
        ]

    def inventory_view(self, sku: str) -> InventoryView:
        levels = [LocationView(level.location_id, level.available) for level in self.levels([sku], None)]
        return InventoryView(sku=sku, available=sum(level.available for level in levels), levels=levels)

    def fulfil(self, order_id: int, body: FulfillmentIn, key: str | None) -> Fulfillment:
        """Fulfil (part of) an order; every line of it when ``line_items`` is empty."""
        if key is not None and key in self._by_key:
            return self._by_key[key]
        order = self.orders.get(order_id)
        if order is None:
            raise ShopifyNotFound(f"order {order_id}")
        skus = {line.sku for line in order.line_items}
        unknown = [line.sku for line in body.line_items if line.sku not in skus]
        if unknown:
            raise ShopifyInvalid("line_items", f"not on the order: {', '.join(unknown)}")
        lines = body.line_items or [FulfilledLine(sku=line.sku, quantity=line.quantity) for line in order.line_items]
        fulfillment = Fulfillment(
            id=next(self._fulfillment_ids),
            order_id=order_id,
            status="success",
            tracking_company=body.tracking_company,
            tracking_number=body.tracking_number,
            tracking_numbers=[body.tracking_number] if body.tracking_number else [],
            line_items=lines,
            created_at=rfc3339_now(),
        )
        self._fulfillments.append(fulfillment)
        if key is not None:
            self._by_key[key] = fulfillment
        return fulfillment

    def fulfillments(self, order_id: str | None) -> list[Fulfillment]:
        return [f for f in self._fulfillments if order_id is None or str(f.order_id) == order_id]
