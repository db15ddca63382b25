"""The ERP replica over an ERP stand-in, on the embedded SQLite and the real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine

from process_apis.catalog.store import ReplicaStore
from shared.db.engine import create_engine, dispose
from shared.db.erp_tables import erp_contract_prices, erp_customers, erp_items, erp_sync_state
from shared.models import Item
from tests.fakes.erp import FakeErp, customer


def item(sku: str, price: str = "10.00") -> Item:
    return Item(sku=sku, name=sku, currency="USD", list_price=Decimal(price))


def seeded_erp(skus: int = 5, customers: int = 3) -> FakeErp:
    """The ERP fake with ``skus`` items SKU-0.., ``customers`` customers CUST-0.., and CUST-0's
    contract price for SKU-0."""
    erp = FakeErp([item(f"SKU-{n}") for n in range(skus)])
    erp.customers = {f"CUST-{n}": customer(f"CUST-{n}") for n in range(customers)}
    erp.contracts = {"CUST-0": {"SKU-0": Decimal("9.00")}}
    return erp


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
    await dispose(engine)


@pytest.fixture
def store(engine: AsyncEngine) -> ReplicaStore:
    return ReplicaStore(engine)
