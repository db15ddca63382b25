"""The storefront push against the Shopify sandbox in process, on SQLite and on PostgreSQL."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import msgspec
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from process_apis.inventory.stock import StockBook
from process_apis.inventory.sync import InventorySync
from process_apis.storefront import levels
from process_apis.storefront.pusher import StorefrontPusher
from shared.db.engine import create_engine, dispose
from shared.messaging.outbox import Message
from shared.models import StockChanged, StockLevel
from system_apis.sandbox.shopify.state import ShopifyBackend
from tests.system_apis.sandbox_ports import SandboxPorts

ROUNDS = 400
"""A bound on pusher rounds in any test (each round is one call at most)."""


class Source:
    """A stock backend the book loads SKUs from: what ``rows`` say, sequence 1."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], int] = {}

    async def get_stock(self, skus: list[str]) -> list[StockLevel]:
        return [StockLevel(sku=s, location=loc, on_hand=q, available=q, sequence=1)
                for (s, loc), q in sorted(self.rows.items()) if s in skus]


@dataclass
class Rig:
    engine: AsyncEngine
    ports: SandboxPorts
    book: StockBook
    sync: InventorySync
    pusher: StorefrontPusher
    source: Source
    waits: list[float] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def shop(self) -> ShopifyBackend:
        return self.ports.app.state.sandbox.backends["shopify"]

    async def report(self, sku: str, location: str, available: int, sequence: int) -> None:
        """A ``stock.changed`` message as the inventory sync's worker takes it."""
        change = StockChanged(sku=sku, location=location, on_hand=max(available, 0), available=available,
                              sequence=sequence)
        await self.sync.apply(Message(id=str(next(self._ids)), topic="stock.changed", key=sku,
                                      payload=msgspec.json.encode(change),
                                      attempts=1))

    async def run(self, rounds: int = ROUNDS) -> int:
        """Pusher rounds until nothing is due (bounded); the waits it asked for are recorded."""
        for n in range(rounds):
            wait = await self.pusher.step()
            if wait is None:
                return n
            self.waits.append(wait)
        raise AssertionError(f"not converged in {rounds} rounds")

    def shows(self, sku: str) -> dict[str, int]:
        return {lv.location: lv.available for lv in self.shop.inventory_view(sku).levels}

    async def fault(self, **switch: object) -> None:
        answer = await self.ports.control.put("/sandbox/shopify/faults", json=switch)
        answer.raise_for_status()

    async def heal(self) -> None:
        (await self.ports.control.delete("/sandbox/shopify/faults")).raise_for_status()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "fresh_pg_url")


@pytest.fixture
async def rig(database_url: str) -> AsyncIterator[Rig]:
    engine = create_engine(database_url)
    ports = SandboxPorts()
    source = Source()
    book = StockBook(engine, {"wms": source}, on_change=levels.mark)
    sync = InventorySync(engine, book, on_book_changed=levels.mark)

    async def no_sleep(_: float) -> None:
        return None

    pusher = StorefrontPusher(engine, ports.shopify, sleep=no_sleep)
    try:
        yield Rig(engine, ports, book, sync, pusher, source)
    finally:
        await ports.aclose()
        await dispose(engine)
