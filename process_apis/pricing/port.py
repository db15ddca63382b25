"""What the experience APIs may ask of the price-and-availability process."""

from __future__ import annotations

from typing import Protocol

from process_apis.pricing.schemas import BasketLine, BasketResult, PriceListPage, ProductPrice


class PricingPort(Protocol):
    async def get_product(
        self, sku: str, quantity: int = 1, customer_id: str | None = None, currency: str = "USD",
        channel: str | None = None,
    ) -> ProductPrice:
        """Availability is ``channel``'s (its safety buffer held back). Raises NotFound(unknown_sku), BusinessRuleViolation(unknown_customer |
        unsupported_currency), BackendUnavailable when the back office cannot answer."""
        ...

    async def price_basket(
        self, lines: list[BasketLine], customer_id: str | None = None, currency: str = "USD",
        channel: str | None = None,
    ) -> BasketResult:
        """Every line answered on its own: a failing line is `unavailable`, never an error."""
        ...

    async def price_list(
        self, customer_id: str | None = None, offset: int = 0, limit: int = 100
    ) -> PriceListPage:
        """Orderable SKUs at the customer's price, with the next offset or None."""
        ...
