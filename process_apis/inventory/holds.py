"""Which stock levels count, and holding stock against them: one SKU, or every SKU of an order
in one statement (an order of many lines, e.g. an EDI 850 of 10,000, was one UPDATE per SKU).

The batch passes its holds as one JSON parameter, ``{"<sku>": <quantity>, ...}``, read as rows
by the database (SQLite ``json_each``, PostgreSQL ``json_each_text``): the statement's text is
the same whatever the order's size, so it is compiled once and cached, and a batch is one round
trip. Each row is held only if that much is free over the buffer, the rule of the one-SKU
``RESERVE``; the statement answers the SKUs it held. On PostgreSQL the reservation rows are
locked first, in SKU order, by one ``SELECT ... FOR UPDATE``: the lock order every capture
shares, so two orders never deadlock (an UPDATE over a join takes its row locks in plan order).
SQLite has one writer at a time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import JSON, DateTime, Integer, String, and_, bindparam, cast, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.db.stock_tables import stock_loads as loads
from shared.db.tables import stock_levels as levels
from shared.db.tables import stock_reservations as reservations

SOURCES = bindparam("sources", expanding=True)
"""The configured stock sources' names (``StockBook.sources``), passed with every statement below."""

SERVED = or_(levels.c.source.is_(None), levels.c.source.in_(SOURCES))
"""A level of a configured source, or from before sources were recorded: never one of a source
no longer configured (its rows are kept, and count again once it is configured again)."""

COUNTED = and_(SERVED, or_(levels.c.source.is_(None),
                           exists().where(loads.c.sku == levels.c.sku, loads.c.source == levels.c.source),
                           levels.c.updated_at >= bindparam("fresh", type_=DateTime(timezone=True))))
"""The rows that count (see ``stock``'s docstring): ``SERVED`` ones, loaded or fresh; ``fresh`` is
now - stale_seconds."""


def _free(sku):  # noqa: ANN001, ANN202 - a column expression
    return select(func.coalesce(func.sum(levels.c.available), 0)).where(levels.c.sku == sku, COUNTED).scalar_subquery()


RESERVE = update(reservations).where(
    reservations.c.sku == bindparam("s"), reservations.c.reserved + bindparam("q") + bindparam("b") <= _free(
        bindparam("s")),
).values(reserved=reservations.c.reserved + bindparam("q"))
"""Hold ``q`` of SKU ``s`` over buffer ``b``: one row updated, or none when not that much is free
(with ``fresh`` and ``sources``, as ``COUNTED``)."""


def _each(conn: AsyncConnection):  # noqa: ANN202 - a table-valued function
    holds = bindparam("holds", type_=String)
    if conn.dialect.name == "postgresql":
        return func.json_each_text(cast(holds, JSON)).table_valued("key", "value").alias("h")
    return func.json_each(holds).table_valued("key", "value").alias("h")


def _reserve_each(conn: AsyncConnection):  # noqa: ANN202 - a statement
    held = _each(conn)
    quantity = cast(held.c.value, Integer)
    return (update(reservations)
            .where(reservations.c.sku == held.c.key,
                   reservations.c.reserved + quantity + bindparam("b") <= _free(held.c.key))
            .values(reserved=reservations.c.reserved + quantity)
            .returning(reservations.c.sku))


async def reserve_all(conn: AsyncConnection, wanted: Mapping[str, int], buffer: int, fresh: datetime,
                      sources: Sequence[str]) -> set[str]:
    """Hold each SKU's quantity of ``wanted`` where that much is free over ``buffer``, in one
    statement; the SKUs held. The others hold nothing: a caller that needs all of them rolls back
    its transaction (the holds it did take are in it)."""
    if not wanted:
        return set()
    holds = json.dumps(dict(sorted(wanted.items())))
    if conn.dialect.name == "postgresql":
        keys = select(_each(conn).c.key).scalar_subquery()
        await conn.execute(select(reservations.c.sku).where(reservations.c.sku.in_(keys))
                           .order_by(reservations.c.sku).with_for_update(), {"holds": holds})
    answer = await conn.execute(_reserve_each(conn), {"holds": holds, "b": buffer, "fresh": fresh,
                                                      "sources": list(sources)})
    return set(answer.scalars())
