"""Order capture over fake back-office ports and a real database (SQLite and PostgreSQL).

Every test makes its own SKUs and customers (a random suffix), so tests sharing
the session's PostgreSQL database never see each other's stock or credit.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from process_apis.inventory.stock import StockBook
from process_apis.orders.backoffice import BackOffice
from process_apis.orders.schemas import LineRequest, Payment, PlaceOrder
from process_apis.orders.service import OrderService
from shared.db.engine import create_engine, dispose
from shared.db.tables import outbox
from shared.idempotency import IdempotencyLedger
from shared.models import Customer, Item, PriceBreak, StockLevel
from tests.fakes.erp import FakeErp
from tests.fakes.stock import FakeStock


class World:
    """Seed-like data with unique names: drill (list 129, break 10+ at 119, 50 in stock),
    bits (24.50, 8 in stock), light (not orderable); acme (contract drill 99, limit 5000),
    bolt (limit 500), hold (credit hold)."""

    def __init__(self, engine) -> None:  # noqa: ANN001
        tag = secrets.token_hex(3).upper()
        self.drill, self.bits, self.light = f"DRILL-{tag}", f"BITS-{tag}", f"LIGHT-{tag}"
        self.acme, self.bolt, self.hold = f"ACME-{tag}", f"BOLT-{tag}", f"HOLD-{tag}"
        self.consumer = f"web-{tag}"
        self.erp, self.stock = FakeErp(), FakeStock()
        self.erp.items = {
            self.drill: Item(sku=self.drill, name="Drill", currency="USD", list_price=Decimal("129.00"),
                             breaks=(PriceBreak(min_quantity=10, unit_price=Decimal("119.00")),)),
            self.bits: Item(sku=self.bits, name="Bits", currency="USD", list_price=Decimal("24.50")),
            self.light: Item(sku=self.light, name="Light", currency="USD", list_price=Decimal("49.00"),
                             orderable=False),
        }
        for cid, limit, hold in ((self.acme, "5000.00", False), (self.bolt, "500.00", False),
                                 (self.hold, "1000.00", True)):
            self.erp.customers[cid] = Customer(customer_id=cid, name=cid, terms="NET30", currency="USD",
                                               credit_limit=Decimal(limit), credit_hold=hold)
        self.erp.contracts[self.acme] = {self.drill: Decimal("99.00")}
        self.stock.levels = [
            StockLevel(sku=self.drill, location="DC-EAST", on_hand=40, available=40, sequence=1),
            StockLevel(sku=self.drill, location="DC-WEST", on_hand=10, available=10, sequence=1),
            StockLevel(sku=self.bits, location="DC-WEST", on_hand=5, available=5, sequence=1),
            StockLevel(sku=self.bits, location="STORE-NYC", on_hand=3, available=3, sequence=1),
        ]
        self.engine = engine
        self.ledger = IdempotencyLedger(engine)
        self.book = StockBook(engine, {"wms": self.stock})
        self.woken = 0
        self.backoffice = BackOffice(self.erp)
        self.service = OrderService(engine, self.ledger, self.backoffice, self.book, wake=self._wake)

    def _wake(self) -> None:
        self.woken += 1

    def order(self, *lines: tuple[str, int, str | None], customer: str | None = None, consumer: str | None = None,
              payment: str | None = None, po: str | None = None, channel: str = "storefront") -> PlaceOrder:
        return PlaceOrder(
            channel=channel, consumer=consumer or self.consumer, customer_id=customer, po_number=po,  # type: ignore[arg-type]
            lines=tuple(LineRequest(sku=s, quantity=q, unit_price=Decimal(p) if p else None) for s, q, p in lines),
            payment=Payment(method="card", amount=Decimal(payment), authorization_id="pay_auth_1") if payment else None,
        )

    async def outbox_count(self, key: str) -> int:
        async with self.engine.connect() as conn:
            return (await conn.execute(select(func.count()).select_from(outbox).where(outbox.c.key == key))).scalar_one()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request) -> str:  # noqa: ANN001
    """Each test runs on the embedded SQLite and on the real PostgreSQL."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture
async def world(database_url: str) -> World:
    engine = create_engine(database_url)
    yield World(engine)
    await dispose(engine)


def now() -> datetime:
    return datetime.now(UTC)
