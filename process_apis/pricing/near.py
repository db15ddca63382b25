"""What price answers read, held near: the ERP replica's items and contract prices and the stock
book's counted stock, each kept in the process for at most ``HUB_NEAR_CACHE_SECONDS`` (0.5 s by
default; 0 turns it off) and dropped at once by the catalogue events (``drop``).

A cache miss at the gateway (a new quantity, a new customer) then costs no database read while
its records are near: a burst of misses of one SKU reads the database once per ``ttl``. Only
price answers read through it; order capture holds stock against the book itself (one
conditional UPDATE), so nothing here can oversell. A stock answer missing a source (partial) is
not held: the next read asks that source again, as the book does.

What an answer may lag: order capture drops the stock of the SKUs it holds in this process
(``OrderService(held=...)``), after the hold commits; holds taken and given back also send a
catalogue event (reason ``stock-held``, docs/security.md) that drops them in every process and at
the gateway; any change whose event has not reached this process yet shows within ``ttl``. The
gateway drops its cached answers a second time ``ttl`` after each change
(``shared.near_cache.DropAgain``), so the contract's "within 2 seconds" holds through both caches.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from process_apis.inventory.schemas import SkuStock
from process_apis.inventory.stock import StockBook
from process_apis.catalog.reader import ReplicaReader
from shared.bus import CatalogChanged
from shared.models import ContractPrices, Customer, Item, ItemPage
from shared.near_cache import NearCache


class NearStock:
    """``StockView`` over the book: each SKU's stock (every channel alike) held near."""

    def __init__(self, book: StockBook, cache: NearCache[SkuStock]) -> None:
        self._book = book
        self._near = cache

    async def availability(self, skus: Sequence[str], channel: str | None = None) -> dict[str, SkuStock]:
        wanted = sorted(set(skus))
        found = {sku: stock for sku in wanted if (stock := self._near.get(sku)) is not None}
        rest = [sku for sku in wanted if sku not in found]
        if rest:
            found.update(await self._near.shared(tuple(rest), lambda: self._read(rest)))
        buffer = self._book.buffer_of(channel)
        return {sku: msgspec.structs.replace(found[sku], buffer=buffer) for sku in wanted}

    async def _read(self, skus: list[str]) -> dict[str, SkuStock]:
        began = self._near.now()
        answer = await self._book.availability(skus)
        for sku, stock in answer.items():
            if not stock.missing:
                self._near.put(sku, stock, began)
        return answer


class NearRecords:
    """The replica as pricing reads it (``ErpPort`` and ``HeldRecords``), items and contract
    prices held near; a record the replica does not hold is read (live) by the replica's reader."""

    def __init__(self, reader: ReplicaReader, items: NearCache[Item],
                 contracts: NearCache[ContractPrices]) -> None:
        self._reader = reader
        self._items = items
        self._contracts = contracts

    async def held_items(self, skus: Sequence[str]) -> dict[str, Item]:
        found = {sku: item for sku in skus if (item := self._items.get(sku)) is not None}
        rest = [sku for sku in skus if sku not in found]
        if rest:
            began = self._items.now()
            for sku, item in (await self._reader.held_items(rest)).items():
                self._items.put(sku, item, began)
                found[sku] = item
        return found

    async def held_item_and_contract(self, sku: str, customer_id: str) -> tuple[Item | None,
                                                                                ContractPrices | None]:
        item, contract = self._items.get(sku), self._contracts.get(customer_id)
        if item is not None and contract is not None:
            return item, contract
        return await self._items.shared((sku, customer_id), lambda: self._held_pair(sku, customer_id))

    async def _held_pair(self, sku: str, customer_id: str) -> tuple[Item | None, ContractPrices | None]:
        began = self._items.now()
        item, contract = await self._reader.held_item_and_contract(sku, customer_id)
        if item is not None:
            self._items.put(sku, item, began)
        if contract is not None:
            self._contracts.put(customer_id, contract, began)
        return item, contract

    async def get_item(self, sku: str) -> Item:
        return await self._items.read(sku, lambda: self._reader.get_item(sku))

    async def get_contract_prices(self, customer_id: str) -> ContractPrices:
        return await self._contracts.read(customer_id, lambda: self._reader.get_contract_prices(customer_id))

    async def get_customer(self, customer_id: str) -> Customer:
        return await self._reader.get_customer(customer_id)

    async def list_items(self, offset: int = 0, limit: int = 100) -> ItemPage:
        return await self._reader.list_items(offset, limit)


class NearPricing:
    """The three near caches price answers read through, and the drops that keep them honest."""

    def __init__(self, ttl: float) -> None:
        self.items: NearCache[Item] = NearCache(ttl)
        self.contracts: NearCache[ContractPrices] = NearCache(ttl)
        self.stock: NearCache[SkuStock] = NearCache(ttl)

    @property
    def enabled(self) -> bool:
        return self.stock.enabled

    def records(self, reader: ReplicaReader) -> NearRecords:
        return NearRecords(reader, self.items, self.contracts)

    def stock_of(self, book: StockBook) -> NearStock:
        return NearStock(book, self.stock)

    def drop(self, event: CatalogChanged) -> None:
        """A catalogue event: its SKUs' items and stock go, and every contract when prices may
        have moved (an ERP change names the SKUs whose contract price changed, not the customer);
        an event naming no SKU (a purge of everything, a sandbox reset) drops everything."""
        skus = event.named()
        if skus is None:
            for cache in (self.items, self.contracts, self.stock):
                cache.clear()
            return
        self.stock.drop(skus)
        if not event.reason.startswith("stock-"):
            self.items.drop(skus)
            self.contracts.clear()
