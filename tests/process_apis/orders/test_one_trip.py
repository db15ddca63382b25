"""The one-round-trip capture on PostgreSQL: it takes the happy path, and anything else it
leaves to the general path with nothing written (the shared capture tests cover the answers)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import msgspec
import pytest
from sqlalchemy import event, func, select

from process_apis.orders import repository as repo
from process_apis.orders.one_trip import Credit, OneTripCapture
from process_apis.orders.schemas import OrderLineView
from process_apis.orders.service import ACCEPTED_TOPIC
from shared.db.engine import create_engine, dispose
from shared.db.tables import customer_credit, idempotency_keys, order_history, orders
from shared.errors import BusinessRuleViolation
from process_apis.inventory.stock import StockBook
from shared.models import StockLevel
from tests.fakes.stock import FakeStock
from tests.process_apis.orders.conftest import World, now


@pytest.fixture
async def world(pg_url: str) -> World:
    engine = create_engine(pg_url)
    yield World(engine)
    await dispose(engine)


class Counting(OneTripCapture):
    def __init__(self, inner: OneTripCapture) -> None:
        self.__dict__.update(inner.__dict__)
        self.outcomes: list[str] = []

    async def capture(self, *args, **kwargs) -> str:  # noqa: ANN002, ANN003
        self.outcomes.append(await super().capture(*args, **kwargs))
        return self.outcomes[-1]


def counted(world: World) -> Counting:
    world.service._one_trip = Counting(world.service._one_trip)  # noqa: SLF001 - the seam under test
    return world.service._one_trip  # noqa: SLF001


async def count(world: World, table, *where) -> int:  # noqa: ANN001
    async with world.engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(table).where(*where))).scalar_one()


def stored(world: World, *lines: tuple[str, int], customer: str | None = None, po: str | None = None) -> repo.StoredOrder:
    return repo.StoredOrder(
        order_id=repo.new_order_id(), consumer=world.consumer, customer_id=customer, channel="partner",
        channel_order_ref=None, po_number=po, currency="USD", total=Decimal("10.00"), status="accepted",
        erp_order_number=None, ship_to=None, payment=None, created_at=now(),
        lines=tuple(OrderLineView(sku=s, quantity=q, unit_price=Decimal("1.00"), extended_price=Decimal(q))
                    for s, q in lines))


async def call(world: World, order: repo.StoredOrder, key: str, holds: dict[str, int], *,
               credit: Credit | None = None, business_key: str | None = None, arrived: float | None = None,
               sources: tuple[str, ...] | None = None) -> str:
    """The function's outcome: "ok", "unloaded" or "fallback" (``sources``: the book's, unless given)."""
    one_trip = OneTripCapture(world.engine, ACCEPTED_TOPIC)
    return await one_trip.capture(order, business_key, scope="s", key=key, fingerprint="f", answer=b"{}",
                                  expires_at=world.ledger.expires_at(), holds=holds, credit=credit,
                                  sources=world.book.sources if sources is None else sources, arrived=arrived)


async def test_a_new_order_is_captured_in_one_trip_with_all_it_needs(world: World) -> None:
    spy = counted(world)
    placed = await world.service.place_order(world.order((world.drill, 3, None), customer=world.acme), "k1")
    assert spy.outcomes == ["unloaded", "ok"] and not placed.replayed  # the drill loaded between the two
    order_id = placed.order.order_id
    assert await world.book.available(world.drill) == (50, 3)
    assert await world.outbox_count(order_id) == 1
    async with world.engine.connect() as conn:  # the capture latency: the function's run time included
        [latency] = (await conn.execute(select(order_history.c.latency_ms).where(
            order_history.c.order_id == order_id))).scalars()
    assert 0 < latency < 10_000
    async with world.engine.connect() as conn:
        key = (await conn.execute(select(idempotency_keys).where(idempotency_keys.c.key == "k1",
                                                                 idempotency_keys.c.scope.startswith(world.consumer)))).one()
        row = (await conn.execute(select(orders).where(orders.c.order_id == order_id))).one()
    assert (key.state, key.status_code, key.resource_id) == ("done", 201, order_id)
    assert msgspec.json.decode(key.response)["order_id"] == order_id
    assert (row.status, row.total, row.lines[0]["unit_price"]) == ("accepted", "297.00", "99.00")
    loaded = await world.service.get_order(order_id, repo_viewer(world))
    assert loaded.lines == placed.order.lines and loaded.total == Decimal("297.00")

    again = await world.service.place_order(world.order((world.drill, 3, None), customer=world.acme), "k1")
    assert spy.outcomes == ["unloaded", "ok", "fallback"] and again.replayed and again.order.order_id == order_id


async def test_the_capture_latency_adds_the_time_before_the_call_to_the_function_run_time(world: World) -> None:
    import time

    await world.book.ensure_loaded([world.drill])
    timed, untimed = stored(world, (world.drill, 1)), stored(world, (world.drill, 1))
    assert "ok" == await call(world, timed, "timed", {world.drill: 1}, arrived=time.perf_counter() - 0.25)
    assert "ok" == await call(world, untimed, "untimed", {world.drill: 1})
    async with world.engine.connect() as conn:
        latency = dict((await conn.execute(select(order_history.c.order_id, order_history.c.latency_ms).where(
            order_history.c.order_id.in_([timed.order_id, untimed.order_id])))).all())
    assert 250 <= latency[timed.order_id] < 10_000  # arrived 250 ms before the call
    assert latency[untimed.order_id] is None


def repo_viewer(world: World):  # noqa: ANN201
    from process_apis.orders.schemas import Viewer
    return Viewer(consumer=world.consumer, customer_id=world.acme)


async def test_a_shortage_on_any_sku_writes_nothing(world: World) -> None:
    await world.book.ensure_loaded([world.drill, world.bits])
    order = stored(world, (world.drill, 2), (world.bits, 9))  # bits has 8
    assert "fallback" == await call(world, order, "short", {world.drill: 2, world.bits: 9})
    assert await world.book.available(world.drill) == (50, 0)  # the drill's hold was undone
    assert await count(world, orders, orders.c.order_id == order.order_id) == 0
    assert await count(world, idempotency_keys, idempotency_keys.c.key == "short") == 0


async def test_credit_beyond_the_limit_writes_nothing(world: World) -> None:
    await world.book.ensure_loaded([world.drill])
    order = stored(world, (world.drill, 1), customer=world.bolt)
    assert "ok" == await call(world, order, "c1", {world.drill: 1}, credit=Credit(world.bolt, 40_000, 50_000))
    second = stored(world, (world.drill, 1), customer=world.bolt)
    assert "fallback" == await call(world, second, "c2", {world.drill: 1}, credit=Credit(world.bolt, 20_000, 50_000))
    assert await world.book.available(world.drill) == (50, 1)
    async with world.engine.connect() as conn:
        open_cents = (await conn.execute(select(customer_credit.c.open_cents)
                                         .where(customer_credit.c.customer_id == world.bolt))).scalar_one()
    assert open_cents == 40_000


async def test_a_used_business_key_or_idempotency_key_is_left_to_the_general_path(world: World) -> None:
    await world.book.ensure_loaded([world.bits])
    first = stored(world, (world.bits, 1), customer=world.acme, po="PO-1")
    assert "ok" == await call(world, first, "p1", {world.bits: 1}, business_key=f"po:{world.acme}:PO-1")
    assert "fallback" == await call(world, stored(world, (world.bits, 1), customer=world.acme, po="PO-1"), "p2",
                          {world.bits: 1}, business_key=f"po:{world.acme}:PO-1")
    assert "fallback" == await call(world, stored(world, (world.bits, 1)), "p1", {world.bits: 1})
    assert await world.book.available(world.bits) == (8, 1)


async def test_racing_for_the_last_units_in_one_trip_never_oversells(world: World) -> None:
    spy = counted(world)
    commands = [world.order((world.bits, 1, None), customer=world.acme) for _ in range(20)]
    results = await asyncio.gather(*(world.service.place_order(c, f"r{i}") for i, c in enumerate(commands)),
                                   return_exceptions=True)
    assert len([r for r in results if not isinstance(r, Exception)]) == 8
    assert all(isinstance(r, BusinessRuleViolation) for r in results if isinstance(r, Exception))
    assert spy.outcomes.count("ok") == 8  # the accepted ones all went in one trip
    assert await world.book.available(world.bits) == (8, 8)


async def test_an_order_for_loaded_skus_is_one_round_trip_and_nothing_else(world: World) -> None:
    await world.book.ensure_loaded([world.drill])
    statements: list[str] = []

    def seen(conn, cursor, statement, *rest) -> None:  # noqa: ANN001, ANN002
        statements.append(statement)

    event.listen(world.engine.sync_engine, "before_cursor_execute", seen)
    try:
        placed = await world.service.place_order(world.order((world.drill, 2, None), customer=world.acme), "one")
    finally:
        event.remove(world.engine.sync_engine, "before_cursor_execute", seen)
    assert placed.order.status == "accepted" and await world.book.available(world.drill) == (50, 2)
    assert statements == []  # no stock read before the call: the function checks the load itself


async def test_a_sku_not_loaded_from_every_source_is_answered_unloaded_with_nothing_written(world: World) -> None:
    order = stored(world, (world.drill, 1))
    assert "unloaded" == await call(world, order, "u1", {world.drill: 1})  # never loaded
    await world.book.ensure_loaded([world.drill])
    assert "unloaded" == await call(world, order, "u2", {world.drill: 1}, sources=("pos", "wms"))  # the POS never asked
    tpl = FakeStock(StockLevel(sku=world.drill, location="3PL-MV", on_hand=25, available=25, sequence=1))
    await StockBook(world.engine, {"tpl": tpl, "wms": world.stock}).ensure_loaded([world.drill])
    assert "unloaded" == await call(world, order, "u3", {world.drill: 1})  # the 3PL's level: a source not counted
    assert await count(world, orders, orders.c.order_id == order.order_id) == 0
    assert await count(world, idempotency_keys, idempotency_keys.c.key.in_(["u1", "u2", "u3"])) == 0
    assert await world.book.available(world.drill) == (50, 0)

    assert "ok" == await call(world, order, "u4", {world.drill: 1}, sources=("tpl", "wms"))  # counted when configured
    assert await count(world, orders, orders.c.order_id == order.order_id) == 1
