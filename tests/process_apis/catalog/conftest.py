"""The ERP replica over an ERP stand-in, on the embedded SQLite and the real PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine

from process_apis.catalog.store import ReplicaStore
from shared.db.engine import create_engine
from shared.db.erp_tables import erp_contract_prices, erp_customers, erp_items, erp_sync_state
from shared.models import ContractPrices, ContractPricesPage, Customer, CustomerPage, Item, ItemPage
from tests.process_apis.orders.conftest import FakeErp as ErpReads


def item(sku: str, price: str = "10.00") -> Item:
    return Item(sku=sku, name=sku, currency="USD", list_price=Decimal(price))


def customer(customer_id: str, hold: bool = False) -> Customer:
    return Customer(customer_id=customer_id, name=customer_id, terms="NET30", currency="USD",
                    credit_limit=Decimal("1000.00"), credit_hold=hold)


class FakeErp(ErpReads):
    """The ERP's read side (order capture's fake) with its lists: pages of ``limit``, every page
    request logged; ``gate`` (when set) holds every page request until it is set."""

    def __init__(self, skus: int = 5, customers: int = 3) -> None:
        super().__init__()
        self.items = {f"SKU-{n}": item(f"SKU-{n}") for n in range(skus)}
        self.customers = {f"CUST-{n}": customer(f"CUST-{n}") for n in range(customers)}
        self.contracts = {"CUST-0": {"SKU-0": Decimal("9.00")}}
        self.pages: list[tuple[str, int, int]] = []
        self.gate: asyncio.Event | None = None

    async def list_items(self, offset: int = 0, limit: int = 100) -> ItemPage:
        records, more = await self._page("items", self.items, offset, limit)
        return ItemPage(items=records, next_offset=offset + limit if more else None)

    async def list_customers(self, offset: int = 0, limit: int = 100) -> CustomerPage:
        records, more = await self._page("customers", self.customers, offset, limit)
        return CustomerPage(items=records, next_offset=offset + limit if more else None)

    async def list_contract_prices(self, offset: int = 0, limit: int = 100) -> ContractPricesPage:
        lists = {c: ContractPrices(customer_id=c, prices=self.contracts.get(c, {})) for c in self.customers}
        records, more = await self._page("contracts", lists, offset, limit)
        return ContractPricesPage(items=records, next_offset=offset + limit if more else None)

    async def _page(self, kind: str, records: dict, offset: int, limit: int) -> tuple[tuple, bool]:
        self.pages.append((kind, offset, limit))
        if self.gate is not None:
            await self.gate.wait()
        self._check()
        ordered = [records[k] for k in sorted(records)]
        return tuple(ordered[offset:offset + limit]), offset + limit < len(ordered)


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    async with engine.begin() as conn:  # the session's PostgreSQL database is shared: start empty
        for table in (erp_items, erp_customers, erp_contract_prices, erp_sync_state):
            await conn.execute(delete(table))
    yield engine
    await engine.dispose()


@pytest.fixture
def store(engine: AsyncEngine) -> ReplicaStore:
    return ReplicaStore(engine)
