"""Holding every SKU of an order in one statement (``StockBook.reserve_many``): the same rule as
``reserve`` one SKU at a time (free over the channel's buffer), the SKUs held answered, and the
holds of a short order undone with its transaction; on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import event, select

from process_apis.inventory.stock import SafetyBuffer, StockBook
from shared.db.tables import stock_reservations as reservations
from tests.process_apis.inventory.test_sources import Shop, database_url, engine, shop  # noqa: F401 - fixtures


class Short(Exception):
    pass


async def reserved(shop: Shop) -> dict[str, int]:
    async with shop.engine.connect() as conn:
        rows = await conn.execute(select(reservations.c.sku, reservations.c.reserved)
                                  .where(reservations.c.sku.in_([shop.drill, shop.bits, shop.glasses])))
    return dict(rows.all())


async def test_every_sku_held_in_one_statement(shop: Shop) -> None:
    await shop.book.ensure_loaded([shop.drill, shop.bits, shop.glasses])
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731 - (conn, cursor, statement, ...)
    event.listen(shop.engine.sync_engine, "before_cursor_execute", listener)
    try:
        async with shop.engine.begin() as conn:
            held = await shop.book.reserve_many(conn, {shop.drill: 50, shop.bits: 8, shop.glasses: 1})
    finally:
        event.remove(shop.engine.sync_engine, "before_cursor_execute", listener)

    assert held == {shop.drill, shop.bits, shop.glasses}
    assert await reserved(shop) == {shop.drill: 50, shop.bits: 8, shop.glasses: 1}
    holds = [s for s in statements if s.lstrip().upper().startswith(("UPDATE", "SELECT"))]
    assert len(holds) == (2 if shop.engine.dialect.name == "postgresql" else 1), holds  # PG: the lock, the holds


async def test_a_short_sku_is_not_held_and_the_order_s_holds_roll_back(shop: Shop) -> None:
    await shop.book.ensure_loaded([shop.drill, shop.bits, shop.glasses])
    try:
        async with shop.engine.begin() as conn:
            held = await shop.book.reserve_many(conn, {shop.drill: 51, shop.bits: 8, shop.glasses: 2})
            assert held == {shop.bits, shop.glasses}  # DRILL has 50
            raise Short
    except Short:
        pass

    assert await reserved(shop) == {shop.drill: 0, shop.bits: 0, shop.glasses: 0}


async def test_the_channel_s_buffer_counts_as_for_one_sku(engine) -> None:  # noqa: ANN001, F811
    shop = Shop(engine, SafetyBuffer(default=0, by_channel={"shopify": 2}))
    await shop.book.ensure_loaded([shop.drill, shop.bits])
    async with shop.engine.begin() as conn:
        held = await shop.book.reserve_many(conn, {shop.drill: 48, shop.bits: 7}, channel="shopify")
    assert held == {shop.drill}  # 50 - 2 >= 48; 8 - 2 < 7
