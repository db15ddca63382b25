"""``RoutingErp``: one ``ErpPort`` over two ERP connections while moving from one to the other.

Reads (items, customers, contract prices and their pages) answer from the primary in force.
In shadow mode the secondary is asked the same at the same time, under its own short
deadline, in the background: its answer never delays or fails the caller's, its failure is
recorded (``secondary.error``), and the two answers are compared field by field into the
``MigrationBook`` (``GET /admin/v1/migration/diffs``).

Writes go to one ERP only, the order's owner, decided once and remembered by order id
(``erp_owners``): by the ``[erp_routing]`` rules, else the primary in force, unless the other
ERP already holds the order (``find_sales_order``, asked before deciding: an order posted
before the routing began, or by hand). Switching the primary (``MigrationBook.switch``, read
within a second) or the rules later moves only orders not yet decided, so no order is ever
posted to both. A credit memo goes to its order's owner and is remembered (``memo:<id>``)
for its void.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from shared.erp_routing_settings import ErpRoutingSettings
from shared.errors import BackendError, BackendUnavailable, NotFound
from shared.models import (
    ContractPrices, ContractPricesPage, CreditMemoRef, CreditMemoRequest, Customer, CustomerPage, ErpOrderRef,
    Item, ItemPage, SalesOrder, SalesOrderRecord,
)
from shared.ops.erp_migration import Difference, MigrationBook
from system_apis.erp.port import ErpPort
from system_apis.erp_routing.compare import differences, page_differences
from system_apis.erp_routing.rules import pick

log = logging.getLogger("commerce_hub.erp_routing")
Call = Callable[[ErpPort], Awaitable[Any]]


class RoutingErp:
    def __init__(self, erps: dict[str, ErpPort], *, primary: str, secondary: str, book: MigrationBook,
                 routing: ErpRoutingSettings) -> None:
        self._erps = erps
        self._configured = primary
        self._names = (primary, secondary)
        self._book = book
        self._routing = routing
        self._since: datetime | None = None
        self._pending: set[asyncio.Task] = set()

    async def start(self) -> None:
        self._since = await self._book.start()

    async def close(self) -> None:
        for task in list(self._pending):
            task.cancel()
        await asyncio.gather(*self._pending, return_exceptions=True)

    async def settled(self) -> None:
        """Wait for the shadow calls and comparisons in flight (tests, shutdown)."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    async def primary(self) -> str:
        """The primary in force: an operator's switch over hub.toml's."""
        switched = await self._book.primary()
        return switched if switched in self._erps else self._configured

    def _other(self, name: str) -> str:
        return self._names[1] if name == self._names[0] else self._names[0]

    # --- reads ------------------------------------------------------------------------------------
    async def get_item(self, sku: str) -> Item:
        return await self._read(lambda erp: erp.get_item(sku), "item", f"sku:{sku}")

    async def get_customer(self, customer_id: str) -> Customer:
        return await self._read(lambda erp: erp.get_customer(customer_id), "customer", f"customer:{customer_id}")

    async def get_contract_prices(self, customer_id: str) -> ContractPrices:
        return await self._read(lambda erp: erp.get_contract_prices(customer_id), "contract",
                                f"customer:{customer_id}")

    async def list_items(self, offset: int = 0, limit: int = 100) -> ItemPage:
        return await self._read(lambda erp: erp.list_items(offset, limit), "item", "sku", page=True)

    async def list_customers(self, offset: int = 0, limit: int = 100) -> CustomerPage:
        return await self._read(lambda erp: erp.list_customers(offset, limit), "customer", "customer_id", page=True)

    async def list_contract_prices(self, offset: int = 0, limit: int = 100) -> ContractPricesPage:
        return await self._read(lambda erp: erp.list_contract_prices(offset, limit), "contract", "customer_id",
                                page=True)

    async def _read(self, call: Call, kind: str, key: str, *, page: bool = False) -> Any:
        primary = await self.primary()
        if self._routing.mode != "shadow":
            return await call(self._erps[primary])
        shadow = asyncio.ensure_future(self._shadow(call, self._other(primary)))
        try:
            answer = await call(self._erps[primary])
        except NotFound as exc:
            self._track(self._compare(shadow, kind, key, page, None, missing=exc))
            raise
        except BaseException:
            shadow.cancel()
            raise
        self._track(self._compare(shadow, kind, key, page, answer))
        return answer

    async def _shadow(self, call: Call, name: str) -> Any:
        """The secondary's answer, a ``NotFound``, or the failure that stopped it (never raised)."""
        try:
            return await asyncio.wait_for(call(self._erps[name]), self._routing.shadow_timeout_seconds)
        except (NotFound, BackendError, TimeoutError) as exc:
            return exc

    async def _compare(self, shadow: asyncio.Future, kind: str, key: str, page: bool, answer: Any,
                       missing: NotFound | None = None) -> None:
        theirs = await shadow
        if isinstance(theirs, Exception) and not isinstance(theirs, NotFound):
            found = [Difference(field="secondary.error", key=f"{kind} page" if page else key, primary="answered",
                                secondary=_failure(theirs))]
        elif page:
            found = page_differences(kind, key, answer.items, theirs.items)
        else:
            found = differences(kind, key, None if missing else answer, None if isinstance(theirs, NotFound) else theirs)
        await self._book.record(found)

    def _track(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(self._guarded(work))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    @staticmethod
    async def _guarded(work: Awaitable[None]) -> None:
        try:
            await work
        except Exception:  # noqa: BLE001 - a comparison that fails is logged; the answer went out already
            log.exception("shadow comparison failed")

    # --- writes -----------------------------------------------------------------------------------
    async def post_sales_order(self, order: SalesOrder) -> ErpOrderRef:
        owner = await self._book.owner(order.order_id)
        if owner is None:
            wanted = pick(self._routing.rules, order, await self.primary())
            elsewhere = await self._held_elsewhere(order, wanted)
            owner = await self._book.decide(order.order_id, elsewhere or wanted)
        return await self._erps[owner].post_sales_order(order)

    async def _held_elsewhere(self, order: SalesOrder, wanted: str) -> str | None:
        """The other ERP when it already holds the order. When it cannot say, an order created
        before the routing began is not decided now (retried later); a newer one cannot be there."""
        other = self._other(wanted)
        try:
            found = await asyncio.wait_for(self._erps[other].find_sales_order(order.order_id),
                                           self._routing.shadow_timeout_seconds)
        except (BackendError, TimeoutError) as exc:
            if self._since is None or order.created_at < self._since:
                raise BackendUnavailable(f"Cannot tell whether {other} already holds order {order.order_id}.",
                                         retry_after=30) from exc
            return None
        return other if found is not None else None

    async def find_sales_order(self, order_id: str) -> SalesOrderRecord | None:
        owner = await self._book.owner(order_id)
        if owner is not None:
            return await self._erps[owner].find_sales_order(order_id)
        primary = await self.primary()
        found = await self._erps[primary].find_sales_order(order_id)
        return found if found is not None else await self._erps[self._other(primary)].find_sales_order(order_id)

    async def create_credit_memo(self, memo: CreditMemoRequest) -> CreditMemoRef:
        owner = await self._book.owner(memo.order_id)
        if owner is None:
            primary = await self.primary()
            other = self._other(primary)
            owner = other if await self._erps[other].find_sales_order(memo.order_id) is not None else primary
        ref = await self._erps[owner].create_credit_memo(memo)
        await self._book.decide(f"memo:{ref.credit_memo_id}", owner)
        return ref

    async def void_credit_memo(self, credit_memo_id: str) -> None:
        owner = await self._book.owner(f"memo:{credit_memo_id}") or await self.primary()
        await self._erps[owner].void_credit_memo(credit_memo_id)


def _failure(exc: Exception) -> str:
    if isinstance(exc, TimeoutError):
        return "no answer within the shadow deadline"
    return f"{type(exc).__name__}: {getattr(exc, 'code', '')}".rstrip(": ")
