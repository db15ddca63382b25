"""An order's release parts (``order_releases``): one per fulfilment connection its lines go to.

Planned once per order (``plan``: the first planner's rows stand, a second finds them), then
each part is marked released with its connection's fulfilment id, and shipped when a shipment
of its SKUs is recorded. An order released whole to the one fulfilment connection of a hub
that has one has no parts: it ships as before (its first shipment ships it).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, datetime

import msgspec
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.db.fulfilment_tables import order_releases as parts

_ERROR_CHARS = 500


class PartLine(msgspec.Struct, frozen=True, kw_only=True):
    sku: str
    quantity: int
    location: str | None = None
    """Where the line ships from; None: no location served by a fulfilment connection holds
    the SKU, so the default connection took it."""


class Part(msgspec.Struct, frozen=True, kw_only=True):
    order_id: str
    connection: str
    lines: tuple[PartLine, ...]
    planned_at: datetime
    fulfilment_id: str | None = None
    released_at: datetime | None = None
    shipped_at: datetime | None = None
    attempts: int = 0
    last_error: str | None = None

    @property
    def skus(self) -> set[str]:
        return {line.sku for line in self.lines}


async def parts_of(conn: AsyncConnection, order_ids: Collection[str]) -> dict[str, list[Part]]:
    """Each order's parts, by connection name."""
    out: dict[str, list[Part]] = {}
    if not order_ids:
        return out
    rows = await conn.execute(select(parts).where(parts.c.order_id.in_(list(order_ids)))
                              .order_by(parts.c.order_id, parts.c.planned_at, parts.c.connection))
    for row in rows:
        out.setdefault(row.order_id, []).append(_part(row))
    return out


async def plan(conn: AsyncConnection, order_id: str, planned: dict[str, Sequence[PartLine]]) -> None:
    """The order's parts, as decided (connection -> its lines); the caller holds the order's lock."""
    now = datetime.now(UTC)
    await conn.execute(parts.insert(), [
        {"order_id": order_id, "connection": name, "lines": msgspec.to_builtins(list(lines)), "planned_at": now,
         "attempts": 0} for name, lines in planned.items()])


async def released(conn: AsyncConnection, order_id: str, connection: str, fulfilment_id: str) -> None:
    await conn.execute(update(parts).where(parts.c.order_id == order_id, parts.c.connection == connection,
                                           parts.c.released_at.is_(None))
                       .values(fulfilment_id=fulfilment_id, released_at=datetime.now(UTC),
                               attempts=parts.c.attempts + 1, last_error=None))


async def failed(conn: AsyncConnection, order_id: str, connection: str, error: str) -> None:
    await conn.execute(update(parts).where(parts.c.order_id == order_id, parts.c.connection == connection,
                                           parts.c.released_at.is_(None))
                       .values(attempts=parts.c.attempts + 1, last_error=error[:_ERROR_CHARS]))


async def ship(conn: AsyncConnection, order_id: str, skus: Iterable[str], at: datetime) -> bool:
    """Mark the parts carrying any of ``skus`` shipped; True when every part of the order has
    shipped (an order without parts: always)."""
    found = (await parts_of(conn, [order_id])).get(order_id, [])
    wanted = set(skus)
    for part in found:
        if part.shipped_at is None and part.skus & wanted:
            await conn.execute(update(parts).where(parts.c.order_id == order_id,
                                                   parts.c.connection == part.connection,
                                                   parts.c.shipped_at.is_(None)).values(shipped_at=at))
    return all(part.shipped_at is not None or part.skus & wanted for part in found)


async def awaiting_shipment(conn: AsyncConnection, connection: str, limit: int = 200) -> list[str]:
    """Order ids released to ``connection`` and not yet shipped by it, oldest release first."""
    rows = await conn.execute(select(parts.c.order_id).where(
        parts.c.connection == connection, parts.c.shipped_at.is_(None), parts.c.released_at.is_not(None))
        .order_by(parts.c.released_at).limit(limit))
    return list(rows.scalars())


def _part(row: object) -> Part:
    return Part(order_id=row.order_id, connection=row.connection,  # type: ignore[attr-defined]
                lines=msgspec.convert(row.lines, tuple[PartLine, ...]),  # type: ignore[attr-defined]
                planned_at=_utc(row.planned_at), fulfilment_id=row.fulfilment_id,  # type: ignore[attr-defined]
                released_at=_opt(row.released_at), shipped_at=_opt(row.shipped_at),  # type: ignore[attr-defined]
                attempts=row.attempts or 0, last_error=row.last_error)  # type: ignore[attr-defined]


def _opt(value: datetime | None) -> datetime | None:
    return None if value is None else _utc(value)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
