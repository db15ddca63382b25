"""The ERP as the process APIs read it: from the replica, with the ERP's read methods.

``ReplicaReader`` answers ``get_item``, ``list_items``, ``get_customer`` and
``get_contract_prices`` from the replica, each record with ``as_of`` = when the hub last
heard it from the ERP. A record the replica does not hold yet is read live and written
(a live failure propagates: 404 stays 404, an ERP that is down is ``BackendUnavailable``).
``list_items`` is answered live until a first full sync has completed.

With ``max_age`` (order validation) a record heard longer ago than that is read live again;
when the ERP cannot answer, the read is refused with ``ReplicaStale`` (503
``erp_replica_stale``). Without it (price answers) the replica's record is served whatever its
age, and the age shows in ``as_of``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import msgspec

from process_apis.catalog.errors import ReplicaStale
from process_apis.catalog.store import ReplicaStore
from shared.errors import BackendError
from shared.models import ContractPrices, Customer, Item, ItemPage
from system_apis.erp.port import ErpPort

R = TypeVar("R", Item, Customer, ContractPrices)


class ReplicaReader:
    def __init__(self, store: ReplicaStore, erp: ErpPort, *, max_age: float | None = None,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._store = store
        self._erp = erp
        self._max_age = None if max_age is None else timedelta(seconds=max_age)
        self._now = now

    def strict(self, max_age: float) -> ReplicaReader:
        """The same replica for order validation: refuses records older than ``max_age`` seconds."""
        return ReplicaReader(self._store, self._erp, max_age=max_age, now=self._now)

    async def get_item(self, sku: str) -> Item:
        return await self._read(await self._store.item(sku), lambda: self._erp.get_item(sku),
                                self._store.put_items, f"item {sku}")

    async def held_items(self, skus: Sequence[str]) -> dict[str, Item]:
        """The items of ``skus`` the replica holds and may serve, in one read; the caller asks
        ``get_item`` for the rest (a live read, each on its own)."""
        return {sku: item for sku, item in (await self._store.items(skus)).items() if not self._too_old(item)}

    async def held_item_and_contract(self, sku: str, customer_id: str) -> tuple[Item | None, ContractPrices | None]:
        """The item and the customer's contract prices, each when the replica holds it and may
        serve it, in one read; ``None`` for what the caller must read with ``get_*``."""
        item, contract = await self._store.item_and_contract(sku, customer_id)
        return (None if item is None or self._too_old(item) else item,
                None if contract is None or self._too_old(contract) else contract)

    async def get_customer(self, customer_id: str) -> Customer:
        return await self._read(await self._store.customer(customer_id), lambda: self._erp.get_customer(customer_id),
                                self._store.put_customers, f"customer {customer_id}")

    async def get_contract_prices(self, customer_id: str) -> ContractPrices:
        return await self._read(await self._store.contract(customer_id),
                                lambda: self._erp.get_contract_prices(customer_id),
                                self._store.put_contracts, f"contract prices of {customer_id}")

    async def list_items(self, offset: int = 0, limit: int = 100) -> ItemPage:
        if (await self._store.state()).full_sync_at is None:
            return await self._erp.list_items(offset, limit)
        return await self._store.item_page(offset, limit)

    async def age(self) -> timedelta | None:
        """How long ago the last complete full sync began (None before the first one)."""
        synced = (await self._store.state()).full_sync_at
        return None if synced is None else self._now() - synced

    async def _read(self, held: R | None, fetch: Callable[[], Awaitable[R]],
                    put: Callable[..., Awaitable[None]], what: str) -> R:
        if held is not None and not self._too_old(held):
            return held
        heard = self._now()
        try:
            record = await fetch()
        except BackendError as exc:
            if held is None:
                raise
            raise ReplicaStale(f"The hub last heard the {what} from the ERP at {held.as_of:%Y-%m-%dT%H:%M:%SZ}, "
                               "longer ago than it may validate an order on, and the ERP cannot answer now.",
                               retry_after=60) from exc
        await put([record], heard)
        return msgspec.structs.replace(record, as_of=heard)

    def _too_old(self, record: Item | Customer | ContractPrices) -> bool:
        return self._max_age is not None and (record.as_of is None or record.as_of < self._now() - self._max_age)
