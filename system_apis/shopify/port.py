"""The Shopify storefront port: what the hub pushes back to the storefront."""

from __future__ import annotations

from typing import Protocol

from shared.models import FulfilmentLine


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
