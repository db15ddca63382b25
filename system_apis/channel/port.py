"""The channel-platform port: a storefront or marketplace that sells on its own platform.

Orders come in from the platform (its webhooks, ``/hooks/<channel>``, mapped to
``shared.models.ChannelOrder`` and captured like any channel's); this port is
what goes back out: fulfilments with tracking, the levels it may sell, and
refunds. One adapter per vendor (``system_apis/<vendor>/``); a connection
serving a channel (``system_apis.connections``) routes that channel's orders
to its adapter."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Literal, Protocol

import msgspec

from shared.models import ChannelOrder, FulfilmentLine, Refund

RefundOutcome = Literal["pending", "succeeded"]
MAX_LEVELS_PER_CALL = 250
"""At most this many levels in one ``set_inventory_levels`` call (an adapter splits no call)."""


class StorefrontLevel(msgspec.Struct, frozen=True, kw_only=True):
    """What the storefront may sell of a SKU at a location (an absolute value)."""

    sku: str
    location: str
    available: int


class CallBudget(msgspec.Struct, frozen=True, kw_only=True):
    """The vendor's call limit as its last answer told it, in its own units (REST calls or
    GraphQL cost points): what is left, what one more call of the kind just made costs, and how
    fast it refills. A caller that waits ``(cost - available) / refill_per_second`` never hits it."""

    available: float
    cost: float
    refill_per_second: float
    capacity: float


class ChannelPlatformPort(Protocol):
    async def create_fulfilment(
        self, channel_order_ref: str, tracking_number: str, carrier: str, lines: list[FulfilmentLine],
        idempotency_key: str,
    ) -> None:
        """Mark a platform order (or some of its lines) fulfilled with tracking; idempotent on the key."""
        ...

    async def set_inventory(self, sku: str, location: str, available: int) -> CallBudget:
        """What the platform may sell of a SKU at a location (one level a call);
        answers the call limit left. Raises ``BackendThrottled`` (with ``retry_after``) on a full bucket."""
        ...

    async def set_inventory_levels(self, levels: Sequence[StorefrontLevel]) -> CallBudget:
        """Set up to ``MAX_LEVELS_PER_CALL`` absolute levels in one call, all or none; answers the
        call limit left. Raises ``BackendThrottled`` (with ``retry_after``) when over the limit."""
        ...

    async def inventory_levels(self, skus: Sequence[str]) -> list[StorefrontLevel]:
        """What the storefront shows for ``skus``: every level it holds for them."""
        ...

    async def refund(
        self, channel_order_ref: str, lines: list[FulfilmentLine], amount: Decimal, currency: str, rma_id: str
    ) -> Refund:
        """Give ``amount`` of a platform order back for the return ``rma_id`` (its ``lines``, not restocked
        on the platform); idempotent on ``rma_id``: a repeat answers the refund made for it and makes none.
        Raises ``NotFound`` for an order the platform does not have; a refusal (e.g. more than is left to refund)
        is a ``BackendError``, a failed refund transaction ``BackendError(code="channel_refund_failed")``.
        ``status`` ``pending``: the platform took it and settles it later (``refund_outcome``)."""
        ...

    async def refund_outcome(self, channel_order_ref: str, refund_id: str) -> RefundOutcome:
        """Where a refund ``refund`` answered ``pending`` stands now: ``succeeded`` or still ``pending``;
        one the platform rejected is ``BackendError(code="channel_refund_failed")``. A platform whose
        refunds settle in the call answers ``succeeded``."""
        ...


class FeedPage(msgspec.Struct, frozen=True, kw_only=True):
    """Orders placed on a platform since a cursor, oldest first, and the cursor to ask from next."""

    orders: list[ChannelOrder]
    cursor: str


class ChannelOrderFeed(Protocol):
    """A platform the hub polls for orders (it sends no webhooks): ``system_apis/channel/polling.py``."""

    async def orders_since(self, cursor: str | None, channel: str) -> FeedPage:
        """Orders placed at or after ``cursor`` (``None``: the platform's own look-back), mapped for
        ``channel``; a repeat of the last page's boundary is expected (the hub dedupes by order ref)."""
        ...


class ChannelOrderLookup(Protocol):
    """A platform whose order webhooks name only the order: the hook reads it here."""

    async def fetch_order(self, channel_order_ref: str, channel: str) -> ChannelOrder:
        """The platform's order mapped for ``channel``; ``NotFound`` when it has none."""
        ...
