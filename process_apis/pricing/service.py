"""Price and availability: list, quantity-break and contract pricing from the ERP,
availability from the hub's stock book (the WMS warehouses and the POS stores as
they reported, less what accepted orders hold and the channel's safety buffer),
read concurrently.

The book is the one source of truth order capture reserves against, so an
answer's ``available_quantity`` is exactly what an order of the same channel
could take now. A stock source that is down makes the answer partial
(``stock_partial``, ``missing_sources``), never `unavailable`: a line is `ok`
when the sources that answered cover it (see ``StockBook``).

A basket answers every line on its own: a line whose item lookup fails or is
too slow comes back `unavailable` while the others are priced. A customer is
waiting: every answer is bounded by ``budget`` seconds, retries included
(``deadline_scope``), so a sick ERP degrades the answer instead of hanging it.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from collections.abc import Sequence
from typing import Callable, Protocol, runtime_checkable

from process_apis.pricing import rules
from process_apis.pricing.schemas import (
    BasketLine,
    BasketLineResult,
    BasketResult,
    PriceListEntry,
    PriceListPage,
    ProductPrice,
)
from shared.errors import BackendError, BackendUnavailable, BusinessRuleViolation, HubError, NotFound
from process_apis.inventory.stock import SkuStock
from shared.models import ContractPrices, Item
from shared.resilience import deadline_scope
from shared.together import together
from system_apis.erp.port import ErpPort


class StockView(Protocol):
    """What pricing reads of stock (``StockBook``)."""

    async def availability(self, skus: Sequence[str], channel: str | None = None) -> dict[str, SkuStock]: ...


@runtime_checkable
class HeldRecords(Protocol):
    """An ERP reader that answers what it holds in fewer reads (``ReplicaReader``): a basket's
    items in one statement, not one each; a product's item and contract on one connection.
    What it does not hold (``None``, absent) is read with ``ErpPort``'s own methods."""

    async def held_items(self, skus: Sequence[str]) -> dict[str, Item]: ...

    async def held_item_and_contract(self, sku: str, customer_id: str) -> tuple[Item | None,
                                                                                ContractPrices | None]: ...


class PricingService:
    def __init__(
        self,
        erp: ErpPort,
        stock: StockView,
        *,
        budget: float = 2.5,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        currencies: tuple[str, ...] = ("USD",),
    ) -> None:
        self._currencies = frozenset(currencies)
        self._erp = erp
        self._held = erp if isinstance(erp, HeldRecords) else None
        self._book = stock
        self._budget = budget
        self._now = now

    async def get_product(
        self, sku: str, quantity: int = 1, customer_id: str | None = None, currency: str = "USD",
        channel: str | None = None,
    ) -> ProductPrice:
        self._supported(currency)
        with deadline_scope(self._budget):
            (item, contract), levels = await together(
                self._item_and_contract(sku, customer_id), self._stock([sku], channel))
        _check_currency(item, currency)
        unit_price, source = rules.price_for(item, quantity, contract.prices.get(sku))
        locations = rules.locations_of(levels[sku])
        available = levels[sku].free
        return ProductPrice(
            sku=item.sku, name=item.name, currency=item.currency, quantity=quantity,
            unit_price=unit_price, list_price=item.list_price, price_source=source,
            orderable=item.orderable, final_sale=item.final_sale,
            available_quantity=available, in_stock=available > 0,
            locations=locations, breaks=item.breaks, as_of=rules.as_of(item, contract, self._now()),
            stock_partial=levels[sku].partial, missing_sources=levels[sku].missing,
        )

    async def price_basket(
        self, lines: list[BasketLine], customer_id: str | None = None, currency: str = "USD",
        channel: str | None = None,
    ) -> BasketResult:
        self._supported(currency)
        with deadline_scope(self._budget):
            return await self._price_basket(lines, customer_id, currency, channel)

    async def _price_basket(self, lines: list[BasketLine], customer_id: str | None, currency: str,
                            channel: str | None) -> BasketResult:
        skus = sorted({line.sku for line in lines})
        contract = await self._contract(customer_id)  # unknown customer fails the request
        items, levels = await together(self._items(skus), self._stock_or_none(skus, channel))
        results = tuple(self._line(line, items[line.sku], contract, levels, currency) for line in lines)
        total = sum((r.extended_price for r in results if r.status == "ok" and r.extended_price), Decimal("0.00"))
        return BasketResult(currency=currency, lines=results, total=total.quantize(rules.CENTS))

    async def price_list(
        self, customer_id: str | None = None, offset: int = 0, limit: int = 100
    ) -> PriceListPage:
        with deadline_scope(self._budget):
            page, contract = await together(self._erp.list_items(offset, limit), self._contract(customer_id))
        entries = []
        for item in page.items:
            if not item.orderable:
                continue
            unit_price, source = rules.price_for(item, 1, contract.prices.get(item.sku))
            entries.append(PriceListEntry(
                sku=item.sku, name=item.name, currency=item.currency,
                unit_price=unit_price, price_source=source, breaks=item.breaks,
            ))
        return PriceListPage(items=tuple(entries), next_offset=page.next_offset)

    def _supported(self, currency: str) -> None:
        """A currency the hub does not sell in is the request's fault (422), never a line's."""
        if currency not in self._currencies:
            raise BusinessRuleViolation(
                f"The hub prices in {', '.join(sorted(self._currencies))}, not {currency}.",
                code="unsupported_currency", errors=[{"field": "currency", "message": "not a currency the hub sells in"}])

    def _line(
        self, line: BasketLine, item: Item | HubError, contract: ContractPrices,
        levels: dict[str, SkuStock] | None, currency: str,
    ) -> BasketLineResult:
        if isinstance(item, NotFound):
            return BasketLineResult(sku=line.sku, quantity=line.quantity, status="unknown_sku")
        if isinstance(item, HubError) or levels is None or item.currency != currency:
            return BasketLineResult(sku=line.sku, quantity=line.quantity, status="unavailable")
        unit_price, source = rules.price_for(item, line.quantity, contract.prices.get(line.sku))
        stock = levels[line.sku]
        available = stock.free
        status = "ok"
        if not item.orderable:
            status = "not_orderable"
        elif available < line.quantity:
            status = "insufficient_stock"
        return BasketLineResult(
            sku=line.sku, quantity=line.quantity, status=status, unit_price=unit_price,
            extended_price=rules.extended(unit_price, line.quantity), price_source=source,
            available_quantity=available, stock_partial=stock.partial, missing_sources=stock.missing,
        )

    async def _items(self, skus: list[str]) -> dict[str, Item | HubError]:
        """Every line's item: the ones the replica holds in one read (``HeldRecords``), the rest
        each on its own, so one slow or failing SKU leaves the others priced."""
        held: dict[str, Item | HubError] = {}
        if self._held is not None:
            try:
                async with asyncio.timeout(self._budget):
                    held.update(await self._held.held_items(skus))
            except asyncio.TimeoutError:
                slow = BackendError("The ERP replica took too long for this basket.", backend="erp")
                return dict.fromkeys(skus, slow)
        rest = [sku for sku in skus if sku not in held]
        held.update(zip(rest, await together(*(self._item_or_error(s) for s in rest))))
        return held

    async def _item_and_contract(self, sku: str, customer_id: str | None) -> tuple[Item, ContractPrices]:
        """The product's item and the customer's contract prices: what the replica holds in one
        read, the rest (or everything, over a plain ``ErpPort``) concurrently on its own."""
        if customer_id is None:
            return await self._erp.get_item(sku), ContractPrices(customer_id="")
        held_item = held_contract = None
        if self._held is not None:
            held_item, held_contract = await self._held.held_item_and_contract(sku, customer_id)

        async def item() -> Item:
            return held_item if held_item is not None else await self._erp.get_item(sku)

        async def contract() -> ContractPrices:
            return held_contract if held_contract is not None else await self._contract(customer_id)

        if held_item is not None and held_contract is not None:
            return held_item, held_contract
        return await together(item(), contract())

    async def _item_or_error(self, sku: str) -> Item | HubError:
        try:
            async with asyncio.timeout(self._budget):
                return await self._erp.get_item(sku)
        except HubError as exc:
            return exc
        except asyncio.TimeoutError:
            return BackendError("The ERP took too long for this line.", backend="erp")

    async def _contract(self, customer_id: str | None) -> ContractPrices:
        if customer_id is None:
            return ContractPrices(customer_id="")
        try:
            return await self._erp.get_contract_prices(customer_id)
        except NotFound as exc:
            raise BusinessRuleViolation(
                f"The customer {customer_id!r} is not known to the ERP.", code="unknown_customer"
            ) from exc

    async def _stock_or_none(self, skus: list[str], channel: str | None) -> dict[str, SkuStock] | None:
        """A basket's stock; None when it cannot be read (its lines are priced without it)."""
        try:
            return await self._stock(skus, channel)
        except (BackendError, asyncio.TimeoutError):
            return None

    async def _stock(self, skus: list[str], channel: str | None) -> dict[str, SkuStock]:
        try:
            async with asyncio.timeout(self._budget):
                return await self._book.availability(skus, channel)
        except asyncio.TimeoutError as exc:
            raise BackendUnavailable("Stock could not be read in time.", backend="stock") from exc


def _check_currency(item: Item, currency: str) -> None:
    if item.currency != currency:
        raise BusinessRuleViolation(
            f"Prices for {item.sku} are kept in {item.currency}, not {currency}.", code="unsupported_currency"
        )
