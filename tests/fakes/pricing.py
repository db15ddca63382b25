"""A pricing port answering from a fixed catalogue, for tests of one experience app alone."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from process_apis.pricing.schemas import BasketLine, BasketResult, LocationStock, PriceListPage, ProductPrice
from shared.errors import NotFound


class FakePricing:
    """SKU-1001 at list price 129.00 with `available` units at DC-EAST; nothing else."""

    def __init__(self, available: int = 40) -> None:
        self.available = available
        self.channels: list[str | None] = []
        """The channel of every call: its safety buffer is what the process holds back."""

    async def get_product(self, sku: str, quantity: int = 1, customer_id: str | None = None,
                          currency: str = "USD", channel: str | None = None) -> ProductPrice:
        self.channels.append(channel)
        if sku != "SKU-1001":
            raise NotFound(f"No SKU {sku!r}.", code="unknown_sku")
        return ProductPrice(
            sku=sku, name="Cordless Drill 18V", currency="USD", quantity=quantity, unit_price=Decimal("129.00"),
            list_price=Decimal("129.00"), price_source="list", orderable=True, final_sale=False,
            available_quantity=self.available, in_stock=self.available > 0,
            locations=(LocationStock(location="DC-EAST", available=self.available),) if self.available else (),
            breaks=(), as_of=datetime.now(UTC),
        )

    async def price_basket(self, lines: list[BasketLine], customer_id: str | None = None,
                           currency: str = "USD", channel: str | None = None) -> BasketResult:
        raise NotImplementedError

    async def price_list(self, customer_id: str | None = None, offset: int = 0, limit: int = 100) -> PriceListPage:
        raise NotImplementedError
