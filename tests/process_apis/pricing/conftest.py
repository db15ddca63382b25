"""A pricing service over fake ports: one warehouse system and one store system, read
through the hub's stock book (on a fresh SQLite database)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from process_apis.inventory.stock import StockBook
from process_apis.pricing.service import PricingService
from shared.db.engine import create_engine, dispose
from tests.fakes.erp import FakeErp
from tests.fakes.stock import FakeStock
from tests.process_apis.pricing.fakes import item, level

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@pytest.fixture
def erp() -> FakeErp:
    return FakeErp(
        [item("SKU-1001", "129.00", (10, "119.00")), item("SKU-1002", "24.50"),
         item("SKU-1004", "49.00", orderable=False), item("SKU-EUR", "10.00", currency="EUR")],
        contracts={"CUST-ACME": {"SKU-1001": "99.00"}, "CUST-BOLT": {}},
    )


@pytest.fixture
def warehouses() -> FakeStock:
    return FakeStock(level("SKU-1001", "DC-EAST", 40), level("SKU-1001", "DC-WEST", 10), level("SKU-1002", "DC-WEST", 5),
                      level("SKU-EUR", "DC-EAST", 5))


@pytest.fixture
def stores() -> FakeStock:
    return FakeStock(level("SKU-1002", "STORE-NYC", 3))


@pytest.fixture
async def engine(sqlite_url: str):  # noqa: ANN201
    engine = create_engine(sqlite_url)
    yield engine
    await dispose(engine)


@pytest.fixture
def pricing(erp: FakeErp, warehouses: FakeStock, stores: FakeStock, engine) -> PricingService:  # noqa: ANN001
    book = StockBook(engine, {"wms": warehouses, "pos": stores}, timeout=0.1)
    return PricingService(erp, book, budget=1.0, now=lambda: NOW)  # roomy: the machine is shared
