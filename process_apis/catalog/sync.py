"""Keeping the ERP replica filled and fresh.

- **Full sync** (``full_sync``): every page of items, customers and contract price lists, then
  whatever the ERP no longer has is dropped. Run at start and every ``interval`` seconds
  (``run``); across processes only one syncs at a time and only when the last full sync is
  ``interval`` old: a lease row in ``erp_sync_state`` taken by one conditional UPDATE (works the
  same on SQLite and PostgreSQL), renewed after every page, let go at the end or on failure and
  expiring by itself if its process dies.
- **Change events** (``apply``, topic ``erp.record_changed``, queued by ``/hooks/erp``): the
  record named is read from the ERP and written, then ``on_changed(skus)`` runs for the SKUs
  whose price changed, so the cached answers are dropped after the replica holds the new price.
  A record the ERP no longer has is dropped. An ERP that is down fails the message, which the
  outbox retries (and at worst the next full sync brings it).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

from process_apis.catalog.store import ReplicaStore
from shared.errors import BackendError, NotFound
from shared.messaging.outbox import Message
from shared.models import ContractPrices, ErpRecordChanged
from system_apis.erp.port import ErpPort

log = logging.getLogger("commerce_hub.erp_replica")
CHANGE_TOPIC = "erp.record_changed"
PAGE = 200


class ErpSync:
    def __init__(self, store: ReplicaStore, erp: ErpPort, *, interval: float = 900.0, page: int = PAGE,
                 on_changed: Callable[[set[str]], Awaitable[object]] | None = None,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._store = store
        self._erp = erp
        self._interval = timedelta(seconds=interval)
        self._page = page
        self._on_changed = on_changed
        self._now = now
        self._owner = f"sync-{secrets.token_hex(6)}"
        self._local = asyncio.Lock()  # this process's syncs one after another

    def handlers(self) -> dict:
        return {CHANGE_TOPIC: self.apply}

    async def full_sync(self, *, force: bool = False) -> bool:
        """Read the whole ERP into the replica; False when another sync holds the lease or (not
        ``force``) the last one is younger than the interval."""
        async with self._local:
            began = self._now()
            hold = max(self._interval, timedelta(minutes=5))
            if not await self._store.take_lease(self._owner, began, hold, None if force else began - self._interval):
                return False
            complete = None
            try:
                await self._copy(self._erp.list_items, self._store.put_items, hold)
                await self._copy(self._erp.list_customers, self._store.put_customers, hold)
                await self._copy(self._erp.list_contract_prices, self._store.put_contracts, hold)
                await self._store.drop_unheard(began)
                complete = began
            finally:
                await self._store.end_lease(self._owner, complete)
            return True

    async def run(self) -> None:
        """At start and then every interval (checked ten times per interval, so a process that
        took over from a dead one does not wait a whole interval); failures are logged."""
        while True:
            try:
                await self.full_sync()
            except BackendError as exc:
                log.warning("ERP full sync failed, the replica keeps what it has: %s", exc)
            except Exception:  # noqa: BLE001 - the loop outlives any one failure; it is logged
                log.exception("ERP full sync failed")
            await asyncio.sleep(max(1.0, self._interval.total_seconds() / 10))  # the schedule, not a wait

    async def apply(self, message: Message) -> None:
        change = message.decode(ErpRecordChanged)
        heard = self._now()
        old = await self._store.contract(change.key) if change.kind == "contract" else None
        try:
            if change.kind == "item":
                await self._store.put_items([await self._erp.get_item(change.key)], heard)
            elif change.kind == "customer":
                await self._store.put_customers([await self._erp.get_customer(change.key)], heard)
            else:
                await self._store.put_contracts([await self._erp.get_contract_prices(change.key)], heard)
        except NotFound:
            await self._store.forget(change.kind, change.key, heard)
        await self._store.mark_event(heard)
        if self._on_changed is not None:
            await self._on_changed(await self._changed_skus(change, old))

    async def _changed_skus(self, change: ErpRecordChanged, old: ContractPrices | None) -> set[str]:
        if change.kind == "item":
            return {change.key}
        if change.kind == "contract":
            new = await self._store.contract(change.key)
            before = old.prices if old is not None else {}
            after = new.prices if new is not None else {}
            return {sku for sku in before.keys() | after.keys() if before.get(sku) != after.get(sku)}
        return set()

    async def _copy(self, list_page: Callable, put: Callable, hold: timedelta) -> None:
        async for records, heard in self._pages(list_page):
            await put(records, heard)
            await self._store.renew_lease(self._owner, self._now() + hold)

    async def _pages(self, list_page: Callable) -> AsyncIterator[tuple[tuple, datetime]]:
        offset: int | None = 0
        while offset is not None:
            heard = self._now()
            page = await list_page(offset, self._page)
            yield page.items, heard
            offset = page.next_offset
