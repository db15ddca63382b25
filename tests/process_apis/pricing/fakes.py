"""Fake ERP and stock ports for the pricing process: tiny, in memory, scriptable."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from shared.errors import BackendUnavailable, NotFound
from shared.models import ContractPrices, Customer, Item, ItemPage, PriceBreak, StockLevel


def item(sku: str, list_price: str, *breaks: tuple[int, str], orderable: bool = True, currency: str = "USD") -> Item:
    return Item(
        sku=sku, name=f"Item {sku}", currency=currency, list_price=Decimal(list_price), orderable=orderable,
        breaks=tuple(PriceBreak(min_quantity=q, unit_price=Decimal(p)) for q, p in breaks),
    )


def level(sku: str, location: str, available: int) -> StockLevel:
    return StockLevel(sku=sku, location=location, on_hand=max(available, 0), available=available)


class FakeErp:
    """An ErpPort over dicts. `failing` SKUs raise BackendUnavailable, `hanging` ones never answer.

    `gate`, when set, makes every item lookup wait until that many are in flight at once
    (or `gate_timeout` passes), so a test can tell concurrent lookups from sequential ones."""

    def __init__(self, items: list[Item], contracts: dict[str, dict[str, str]] | None = None) -> None:
        self.items = {i.sku: i for i in items}
        self.contracts = {c: {s: Decimal(p) for s, p in prices.items()} for c, prices in (contracts or {}).items()}
        self.failing: set[str] = set()
        self.hanging: set[str] = set()
        self.lookups: list[str] = []
        self.in_flight = self.max_in_flight = 0
        self.gate: int | None = None
        self.gate_timeout = 1.0
        self._changed = asyncio.Condition()

    async def get_item(self, sku: str) -> Item:
        self.lookups.append(sku)
        if sku in self.hanging:
            await asyncio.Event().wait()
        async with self._changed:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self._changed.notify_all()
            if self.gate is not None:
                try:
                    await asyncio.wait_for(self._changed.wait_for(lambda: self.in_flight >= self.gate), self.gate_timeout)
                except asyncio.TimeoutError:
                    pass
            self.in_flight -= 1
        if sku in self.failing:
            raise BackendUnavailable("ERP answered 503", backend="erp")
        if sku not in self.items:
            raise NotFound(f"unknown SKU {sku}", code="unknown_sku")
        return self.items[sku]

    async def list_items(self, offset: int = 0, limit: int = 100) -> ItemPage:
        skus = sorted(self.items)
        page = skus[offset:offset + limit]
        nxt = offset + limit if offset + limit < len(skus) else None
        return ItemPage(items=tuple(self.items[s] for s in page), next_offset=nxt)

    async def get_customer(self, customer_id: str) -> Customer:
        if customer_id not in self.contracts:
            raise NotFound("unknown customer", code="unknown_customer")
        return Customer(customer_id=customer_id, name=customer_id, terms="NET30", currency="USD",
                        credit_limit=Decimal("1000.00"))

    async def get_contract_prices(self, customer_id: str) -> ContractPrices:
        await self.get_customer(customer_id)
        return ContractPrices(customer_id=customer_id, prices=self.contracts[customer_id])


class FakeStock:
    """A StockPort over a list of levels; `failure` is raised, `hang` never answers."""

    def __init__(self, *levels: StockLevel) -> None:
        self.levels = list(levels)
        self.failure: Exception | None = None
        self.hang = False
        self.calls: list[list[str]] = []

    async def get_stock(self, skus: list[str]) -> list[StockLevel]:
        self.calls.append(list(skus))
        if self.hang:
            await asyncio.Event().wait()
        if self.failure is not None:
            raise self.failure
        return [lvl for lvl in self.levels if lvl.sku in skus]
