"""The Shopify storefront port: what the hub pushes back to the storefront."""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from shared.models import FulfilmentLine, Refund


class ShopifyPort(Protocol):
    async def create_fulfilment(
        self, shopify_order_id: str, tracking_number: str, carrier: str, lines: list[FulfilmentLine],
        idempotency_key: str,
    ) -> None:
        """Mark a Shopify order (or some of its lines) fulfilled with tracking; idempotent on the key."""
        ...

    async def set_inventory(self, sku: str, location: str, available: int) -> None:
        """``inventory_levels/set``: what the storefront may sell at a location."""
        ...

    async def refund(
        self, shopify_order_id: str, lines: list[FulfilmentLine], amount: Decimal, currency: str, rma_id: str
    ) -> Refund:
        """Give ``amount`` of a Shopify order back for the return ``rma_id`` (its ``lines``, not restocked
        on Shopify); idempotent on ``rma_id``: a repeat answers the refund made for it and makes none.
        Raises ``NotFound(code="unknown_shopify_order")``; a refusal (e.g. more than is left to refund)
        is a ``BackendError``, a failed refund transaction ``BackendError(code="channel_refund_failed")``."""
        ...
