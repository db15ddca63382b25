"""What an ERP migration keeps in the database (``shared.db.migration_tables``), for the
system layer's routing ERP and for the admin API alike.

``MigrationBook``:
- ``owner`` / ``decide``: an order's ERP connection, decided once (the first INSERT wins; every
  later caller, on any instance, reads the winner back);
- ``primary`` / ``switch``: the primary in force: an operator's switch (``POST
  /admin/v1/migration/primary``) over hub.toml's, read by every instance within ``refresh``
  seconds; ``since``: when the routing first ran;
- ``record`` / ``diffs``: shadow mode's field-level differences, counted per field with the
  latest ``samples`` pairs kept per field.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import msgspec
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.dialect import insert
from shared.db.migration_tables import erp_diff_counts, erp_diff_samples, erp_owners, erp_routing_state

VALUE_CHARS = 500
PRIMARY_TOPIC = "erp.primary_switched"
"""Published on the bus after a switch: every instance re-reads the primary at once (else within
``refresh`` seconds, should the bus miss it)."""


class PrimarySwitched(msgspec.Struct, frozen=True):
    connection: str


class Difference(msgspec.Struct, frozen=True, kw_only=True):
    """One field the two ERPs answered differently (``None``: the record was missing there)."""

    field: str
    """A path such as ``item.list_price``, ``contract.prices.SKU-1001`` or ``secondary.error``."""
    key: str
    """What was asked: ``sku:SKU-1001``, ``customer:CUST-ACME``, ``order:<id>``."""
    primary: str | None
    secondary: str | None


class DiffSample(msgspec.Struct, kw_only=True):
    key: str
    primary: str | None
    secondary: str | None
    at: datetime


class FieldDiffs(msgspec.Struct, kw_only=True):
    field: str
    count: int
    samples: list[DiffSample]
    """The latest pairs, newest first."""


class MigrationBook:
    def __init__(self, engine: AsyncEngine, *, samples: int = 20, refresh: float = 1.0,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._engine = engine
        self._samples = samples
        self._refresh = refresh
        self._now = now
        self._read_at = -1e9
        self._state: tuple[str | None, datetime | None] = (None, None)

    # --- owners -----------------------------------------------------------------------------
    async def owner(self, ref: str) -> str | None:
        async with self._engine.connect() as conn:
            return (await conn.execute(select(erp_owners.c.connection).where(erp_owners.c.ref == ref))).scalar()

    async def decide(self, ref: str, connection: str) -> str:
        """``connection`` owns ``ref`` unless another caller decided first; the owner either way."""
        async with self._engine.begin() as conn:
            await conn.execute(insert(conn, erp_owners).values(ref=ref, connection=connection, decided_at=self._now())
                               .on_conflict_do_nothing(index_elements=["ref"]))
            return (await conn.execute(select(erp_owners.c.connection).where(erp_owners.c.ref == ref))).scalar_one()

    # --- the primary in force ------------------------------------------------------------------
    async def start(self) -> datetime:
        """The routing runs from now on unless it already did; when it first ran."""
        async with self._engine.begin() as conn:
            await conn.execute(insert(conn, erp_routing_state).values(id=1, since=self._now())
                               .on_conflict_do_nothing(index_elements=["id"]))
        return (await self._read())[1] or self._now()

    async def primary(self) -> str | None:
        """The primary an operator switched to (None: hub.toml's), at most ``refresh`` seconds old."""
        if time.monotonic() - self._read_at >= self._refresh:
            self._state = await self._read()
            self._read_at = time.monotonic()
        return self._state[0]

    def forget_primary(self) -> None:
        """Read the primary from the database at the next call (a switch was announced)."""
        self._read_at = -1e9

    async def switch(self, connection: str) -> None:
        at = self._now()
        async with self._engine.begin() as conn:
            await conn.execute(insert(conn, erp_routing_state).values(id=1, since=at)
                               .on_conflict_do_nothing(index_elements=["id"]))
            await conn.execute(update(erp_routing_state).where(erp_routing_state.c.id == 1)
                               .values(primary_connection=connection, changed_at=at))
        self._read_at = -1e9

    async def _read(self) -> tuple[str | None, datetime | None]:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(erp_routing_state.c.primary_connection, erp_routing_state.c.since)
                                      .where(erp_routing_state.c.id == 1))).first()
        return (row[0], _utc(row[1])) if row else (None, None)

    # --- differences -----------------------------------------------------------------------------
    async def record(self, found: list[Difference]) -> None:
        if not found:
            return
        at = self._now()
        async with self._engine.begin() as conn:
            for diff in found:
                counted = await conn.execute(update(erp_diff_counts).where(erp_diff_counts.c.field == diff.field)
                                             .values(count=erp_diff_counts.c.count + 1, last_at=at))
                if counted.rowcount == 0:
                    await conn.execute(insert(conn, erp_diff_counts).values(field=diff.field, count=1, last_at=at)
                                       .on_conflict_do_update(index_elements=["field"],
                                                              set_={"count": erp_diff_counts.c.count + 1,
                                                                    "last_at": at}))
                await conn.execute(erp_diff_samples.insert().values(
                    field=diff.field, key=diff.key[:200], primary_value=_cut(diff.primary),
                    secondary_value=_cut(diff.secondary), at=at))
                kept = (select(erp_diff_samples.c.id).where(erp_diff_samples.c.field == diff.field)
                        .order_by(erp_diff_samples.c.id.desc()).offset(self._samples).limit(1)).scalar_subquery()
                await conn.execute(delete(erp_diff_samples).where(erp_diff_samples.c.field == diff.field,
                                                                  erp_diff_samples.c.id <= kept))

    async def diffs(self, samples: int | None = None) -> list[FieldDiffs]:
        """Every field that differed, the most frequent first, each with its latest samples."""
        limit = self._samples if samples is None else samples
        async with self._engine.connect() as conn:
            counts = (await conn.execute(select(erp_diff_counts.c.field, erp_diff_counts.c.count)
                                         .order_by(erp_diff_counts.c.count.desc(), erp_diff_counts.c.field))).all()
            ranked = select(erp_diff_samples, func.row_number().over(
                partition_by=erp_diff_samples.c.field, order_by=erp_diff_samples.c.id.desc()).label("n")).subquery()
            rows = (await conn.execute(select(ranked).where(ranked.c.n <= limit).order_by(ranked.c.id.desc()))).all()
        by_field: dict[str, list[DiffSample]] = {}
        for row in rows:
            by_field.setdefault(row.field, []).append(DiffSample(key=row.key, primary=row.primary_value,
                                                                 secondary=row.secondary_value, at=_utc(row.at)))
        return [FieldDiffs(field=f, count=n, samples=by_field.get(f, [])) for f, n in counts]

    async def forget_diffs(self) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(erp_diff_samples))
            await conn.execute(delete(erp_diff_counts))


def _cut(value: str | None) -> str | None:
    return None if value is None else value[:VALUE_CHARS]


def _utc(at: datetime | None) -> datetime | None:
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at
