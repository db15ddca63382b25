"""The back office as order capture reads it: items, customers and contract prices from
the ERP, kept a short while in memory so a burst of orders does not become a burst
of ERP calls.

An item is dropped as soon as the bus says it changed (``catalog.changed``), so a
price change is seen at once; customers and contracts live ``ttl`` seconds (a
credit hold set in the ERP is honoured within that time). Concurrent misses
for the same record share one ERP call; a "not found" is remembered too.
"""

from __future__ import annotations

import time
from typing import Awaitable, Callable, Generic, TypeVar

import msgspec

from shared.bus import CatalogChanged
from shared.errors import BackendUnavailable, NotFound
from shared.models import ContractPrices, Customer, Item
from shared.singleflight import SingleFlight
from system_apis.erp.port import ErpPort

T = TypeVar("T")


class _Cache(Generic[T]):
    def __init__(self, ttl: float, stale: float, clock: Callable[[], float]) -> None:
        self._ttl = ttl
        self._stale = stale
        self._clock = clock
        self._entries: dict[str, tuple[float, T | NotFound]] = {}
        """key -> (read at, record or its absence)"""
        self._flight: SingleFlight[T | NotFound] = SingleFlight()

    async def get(self, key: str, fetch: Callable[[], Awaitable[T]]) -> T:
        entry = self._entries.get(key)
        if entry is None or entry[0] + self._ttl <= self._clock():
            value, _ = await self._flight.run(key, lambda: self._load(key, fetch))
        else:
            value = entry[1]
        if isinstance(value, NotFound):
            raise NotFound(value.detail, code=value.code)
        return value

    async def _load(self, key: str, fetch: Callable[[], Awaitable[T]]) -> T | NotFound:
        try:
            value: T | NotFound = await fetch()
        except NotFound as exc:
            value = exc
        except BackendUnavailable:
            entry = self._entries.get(key)
            if entry is not None and entry[0] + self._stale > self._clock():
                return entry[1]
            raise
        self._entries[key] = (self._clock(), value)
        return value

    def drop(self, key: str | None) -> None:
        """Make the record (or every record) read again; kept for stale-if-error meanwhile."""
        for name in ([key] if key is not None else list(self._entries)):
            entry = self._entries.get(name)
            if entry is not None:
                self._entries[name] = (entry[0] - self._ttl, entry[1])


class BackOffice:
    def __init__(self, erp: ErpPort, *, ttl: float = 30.0, stale: float = 3600.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._erp = erp
        self._items: _Cache[Item] = _Cache(ttl, stale, clock)
        self._customers: _Cache[Customer] = _Cache(ttl, stale, clock)
        self._contracts: _Cache[ContractPrices] = _Cache(ttl, stale, clock)

    async def item(self, sku: str) -> Item:
        """Raises ``NotFound(code="unknown_sku")``."""
        return await self._items.get(sku, lambda: self._erp.get_item(sku))

    async def customer(self, customer_id: str) -> Customer:
        """Raises ``NotFound(code="unknown_customer")``."""
        return await self._customers.get(customer_id, lambda: self._erp.get_customer(customer_id))

    async def contract(self, customer_id: str) -> ContractPrices:
        return await self._contracts.get(customer_id, lambda: self._erp.get_contract_prices(customer_id))

    async def on_catalog_changed(self, payload: bytes) -> None:
        """Bus handler for ``catalog.changed``: forget the items it names (or every item)."""
        skus = msgspec.json.decode(payload, type=CatalogChanged).named()
        for sku in skus if skus is not None else [None]:
            self._items.drop(sku)
