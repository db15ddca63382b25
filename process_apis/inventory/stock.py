"""The hub's own view of stock, and the reservations that keep channels from overselling.

``stock_levels`` holds one row per (sku, location) as its stock source (the WMS's
warehouses, the POS's stores) last reported it, with the source's name; a report
carries the backend's sequence for that row, and an older sequence never overwrites
a newer one (events may arrive out of order or twice).

A SKU is loaded from each source on first use: every location of it. The sources are
asked concurrently, each on its own deadline (``timeout``); one that fails, times out
or has its circuit open is *missing* for that read. ``stock_loads`` records which
source has answered for which SKU; a source missing at the first read has no row, so
later reads ask it again until it answers (a partial load is never taken for a full
one). An event for a SKU not loaded records that one location and nothing more.

What counts (the same rule in ``availability`` and in ``reserve``'s one UPDATE): a
level from before sources were recorded (no source), and, of a configured source, a
level whose source has loaded the SKU (its events keep it current) or one reported
within ``stale_seconds`` (a missing source's last known value, while fresh). A missing
source's older levels do not count: the answer says which sources were missing
(``SkuStock.missing``). A source no longer configured (removed from hub.toml) is not
missing but gone: its levels are kept, never counted, and count again once it is back.

Available-to-promise, for a channel: ``sum(counted available) - reserved - buffer``,
the buffer being that channel's safety stock (``SafetyBuffer``). Reserving is one
conditional UPDATE: ``reserved + q + buffer <= sum(counted available)``. Two orders
racing for the last unit both try to update the same row; the database serialises
them and re-checks the condition for the second, which then fails: never both
(PostgreSQL row lock, SQLite's single writer). An order holds all its SKUs in one such
statement (``reserve_many``, ``holds.py``).

``on_change(conn, skus, None)``, when given, runs in the transaction of every
hold taken or given back and of every load or resync of levels (the storefront
push marks those SKUs; a stock report is marked by the inventory sync).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

import msgspec
from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from process_apis.inventory.holds import COUNTED, RESERVE, SOURCES, reserve_all
from process_apis.inventory.schemas import Loaded, SafetyBuffer, SkuStock
from process_apis.inventory.writes import level_row as _row
from process_apis.inventory.writes import level_upsert as _level_upsert
from shared.batching import GroupCommit
from shared.db.dialect import insert
from shared.db.engine import reading
from shared.db.stock_tables import stock_loads as loads
from shared.db.tables import stock_levels as levels
from shared.db.tables import stock_reservations as reservations
from shared.errors import HubError
from shared.models import StockChanged, StockLevel
from system_apis.wms.port import StockPort

log = logging.getLogger(__name__)

_N_LOADED = select(func.count()).where(loads.c.sku == reservations.c.sku, loads.c.source.in_(SOURCES)
                                        ).scalar_subquery()
"""How many of the configured sources have loaded a reservation row's SKU (the loads of a source
no longer configured, or renamed, are kept but never count)."""

_FULL = (select(reservations.c.sku, reservations.c.reserved, levels.c.location, levels.c.available, levels.c.source)
         .select_from(reservations.outerjoin(levels, levels.c.sku == reservations.c.sku))
         .where(reservations.c.sku.in_(bindparam("skus", expanding=True)), _N_LOADED >= bindparam("n_sources")))
"""``_full``'s read, built once (it is every order's and every cache miss's: building it per call
and its cache key were about a tenth of order acceptance's Python time)."""


class StockBook:
    def __init__(self, engine: AsyncEngine, sources: Mapping[str, StockPort], *, timeout: float = 1.0,
                 stale_seconds: float = 300.0, buffer: SafetyBuffer = SafetyBuffer(),
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 on_change: Callable[[AsyncConnection, Sequence[str], datetime | None], Awaitable[object]]
                 | None = None) -> None:
        self._engine = engine
        self._sources = dict(sources)
        self._names = sorted(self._sources)
        self._timeout = timeout
        self._stale = timedelta(seconds=stale_seconds)
        self._buffer = buffer
        self._clock = clock
        self._on_change = on_change
        self._elsewhere: GroupCommit[Sequence[str], None] = GroupCommit(self._mark_elsewhere, isolated=True)

    async def _changed(self, conn: AsyncConnection, skus: Sequence[str]) -> None:
        if self._on_change is not None and skus:
            await self._on_change(conn, skus, None)

    def buffer_of(self, channel: str | None) -> int:
        """The safety stock ``channel``'s answers hold back (``SafetyBuffer``)."""
        return self._buffer.of(channel)

    @property
    def sources(self) -> tuple[str, ...]:
        """The configured stock sources' names: only their levels count (and sourceless ones)."""
        return tuple(self._names)

    async def ensure_loaded(self, skus: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """``load``'s sources missing per SKU."""
        return (await self.load(skus)).missing

    async def load(self, skus: Sequence[str]) -> Loaded:
        """Load the SKUs not fully loaded from the sources that have not answered for them yet;
        answers the sources missing for each SKU that has any (empty: a full load), and the SKUs
        holding levels of a source no longer configured (what order capture must know).

        A SKU no source knows stays unloaded (no row is made for it): asked again, it is
        fetched again, so made-up SKUs leave nothing behind."""
        wanted = sorted(set(skus))
        full, retired = await self._full(wanted)
        rest = [s for s in wanted if s not in full]
        missing = await self._load(rest)
        return Loaded(missing=missing, retired=frozenset(retired | await self._retired(rest)))

    async def availability(self, skus: Sequence[str], channel: str | None = None) -> dict[str, SkuStock]:
        """What ``channel`` may promise of ``skus`` (loading what is not loaded), every one answered.

        A fully loaded SKU (the cache-miss path's usual case) costs one statement: its hold and
        its levels, joined, seen at one instant."""
        wanted = sorted(set(skus))
        found, _ = await self._full(wanted)
        rest = [sku for sku in wanted if sku not in found]
        missing: dict[str, tuple[str, ...]] = {}
        if rest:
            missing = await self._load(rest)
            found.update(await self._counted(rest))
        buffer = self._buffer.of(channel)
        return {sku: msgspec.structs.replace(found.get(sku) or SkuStock(sku=sku), buffer=buffer,
                                             missing=missing.get(sku, ())) for sku in wanted}

    async def _full(self, skus: list[str]) -> tuple[dict[str, SkuStock], set[str]]:
        """The fully loaded ones of ``skus`` (a reservation row, every configured source's load),
        with their counted levels; and those of them that hold levels of a source no longer
        configured, which do not count (``COUNTED``'s rule: here every other level does)."""
        if not skus:
            return {}, set()
        out: dict[str, SkuStock] = {}
        retired: set[str] = set()
        async with reading(self._engine) as conn:
            for row in await conn.execute(_FULL, {"skus": skus, "sources": self._names,
                                                  "n_sources": len(self._names)}):
                stock = out.setdefault(row.sku, SkuStock(sku=row.sku, locations={}, reserved=int(row.reserved)))
                if row.location is None:
                    continue
                if row.source is None or row.source in self._sources:
                    stock.locations[row.location] = int(row.available)
                else:
                    retired.add(row.sku)
        return out, retired

    async def _retired(self, skus: list[str]) -> set[str]:
        """Those of ``skus`` the book holds levels of from a source no longer configured."""
        if not skus:
            return set()
        async with reading(self._engine) as conn:
            return set((await conn.execute(select(levels.c.sku).distinct().where(
                levels.c.sku.in_(skus), levels.c.source.is_not(None), levels.c.source.notin_(SOURCES)),
                {"sources": self._names})).scalars())

    async def _counted(self, skus: list[str]) -> dict[str, SkuStock]:
        """``skus`` as the book counts them now, whatever their load (``COUNTED``)."""
        query = (select(levels.c.sku, levels.c.location, levels.c.available)
                 .where(levels.c.sku.in_(skus), COUNTED))
        out = {sku: SkuStock(sku=sku, locations={}) for sku in skus}
        async with reading(self._engine) as conn:
            for row in await conn.execute(query, self._counting()):
                out[row.sku].locations[row.location] = int(row.available)
            held = await conn.execute(select(reservations.c.sku, reservations.c.reserved)
                                      .where(reservations.c.sku.in_(skus)))
            for row in held:
                out[row.sku] = msgspec.structs.replace(out[row.sku], reserved=int(row.reserved))
        return out

    async def _load(self, skus: list[str]) -> dict[str, tuple[str, ...]]:
        """Ask each source, concurrently, for the SKUs it has not answered for; record the
        answers; the sources missing per SKU."""
        if not skus:
            return {}
        async with reading(self._engine) as conn:
            done = set((await conn.execute(select(loads.c.sku, loads.c.source).where(loads.c.sku.in_(skus)))).all())
            known = set((await conn.execute(select(reservations.c.sku).where(reservations.c.sku.in_(skus)))).scalars())
        need = {name: [s for s in skus if (s, name) not in done] for name in self._sources}
        need = {name: asked for name, asked in need.items() if asked}
        answers = await self._ask_all(need)
        await self._record(answers, need, known)
        missing: dict[str, tuple[str, ...]] = {}
        for name, answer in answers.items():
            if answer is None:
                for sku in need[name]:
                    missing[sku] = (*missing.get(sku, ()), name)
        return missing

    async def _ask_all(self, need: Mapping[str, list[str]]) -> dict[str, list[StockLevel] | None]:
        """Each source's answer for its SKUs, asked concurrently; None for a source that is down."""
        answers = await asyncio.gather(*(self._ask(name, skus) for name, skus in need.items()))
        return dict(zip(need, answers))

    async def _ask(self, name: str, skus: list[str]) -> list[StockLevel] | None:
        try:
            async with asyncio.timeout(self._timeout):
                return await self._sources[name].get_stock(skus)
        except (HubError, TimeoutError) as exc:
            log.warning("stock source %s is missing for %d SKUs: %s", name, len(skus), exc or "timed out")
            return None

    async def _record(self, answers: Mapping[str, list[StockLevel] | None], need: Mapping[str, list[str]],
                      known: set[str], replace: Sequence[str] = ()) -> None:
        """Record the sources' answers in one transaction: their levels, and a load row per (SKU,
        source) that answered for a SKU some source knows (``replace``: the answering sources'
        rows of those SKUs go first, and the sourceless ones too when every source answered)."""
        found = sorted(((lv, name) for name, answer in answers.items() for lv in answer or ()),
                       key=lambda pair: (pair[0].sku, pair[0].location))
        known = known | {lv.sku for lv, _ in found}
        marks = sorted(({"sku": s, "source": name} for name, answer in answers.items() if answer is not None
                        for s in need[name] if s in known), key=lambda m: (m["sku"], m["source"]))  # one lock order
        if not found and not marks and not replace:
            return
        now = self._clock()
        async with self._engine.begin() as conn:
            # the same lock order as order capture: the reservation rows, then the levels
            if found:  # each statement executed many (compiled once), in SKU order
                await conn.execute(insert(conn, reservations).values(reserved=0).on_conflict_do_nothing(),
                                   [{"sku": sku} for sku in sorted({lv.sku for lv, _ in found})])
            if replace:
                answered = [name for name, answer in answers.items() if answer is not None]
                gone = levels.c.source.in_(answered)
                if len(answered) == len(answers):
                    gone = or_(gone, levels.c.source.is_(None))
                await conn.execute(delete(levels).where(levels.c.sku.in_(list(replace)), gone))
                await conn.execute(delete(loads).where(loads.c.sku.in_(list(replace)),
                                                       loads.c.source.notin_(answered)))
            rows: dict[tuple[str, str], dict] = {}  # one per (sku, location): its newest sequence
            for lv, name in found:
                if (lv.sku, lv.location) not in rows or lv.sequence > rows[lv.sku, lv.location]["sequence"]:
                    rows[lv.sku, lv.location] = _row(lv.sku, lv.location, lv.on_hand, lv.available, lv.sequence,
                                                     now, None, name)
            if rows:
                await conn.execute(_level_upsert(conn, adopt=self._names), [rows[key] for key in sorted(rows)])
            if marks:  # executemany: a multi-row VALUES was compiled anew for every load
                stmt = insert(conn, loads)
                await conn.execute(stmt.on_conflict_do_update(index_elements=[loads.c.sku, loads.c.source],
                                                              set_={"loaded_at": stmt.excluded.loaded_at}),
                                   [{**m, "loaded_at": now} for m in marks])
            await self._changed(conn, sorted({lv.sku for lv, _ in found} | set(replace)))

    async def resync(self) -> int:
        """Read every SKU the book holds again from every source and take their answers as they
        are, whatever the sequences (the backends were reset: their sequences started again).
        Holds stay. A source down now keeps its rows (counted while fresh) and loses its loads
        of them, so it is asked again on the next read.

        How the one-process sandbox brings the hub back in line after ``/sandbox/reset`` and at
        start (the sandbox's state lives in memory, the book in the database). Answers the
        number of SKUs read."""
        async with reading(self._engine) as conn:
            held = {r.sku for r in await conn.execute(select(reservations.c.sku))}
            loaded = sorted(held | {r.sku for r in await conn.execute(select(levels.c.sku).distinct())})
        if loaded:
            need = {name: loaded for name in self._sources}
            await self._record(await self._ask_all(need), need, held, replace=loaded)
        return len(loaded)

    async def apply(self, conn: AsyncConnection, change: StockChanged, received_at: datetime | None = None) -> bool:
        """Record a backend's report (``received_at``: when the hub got it); False when it is
        older than what the hub holds.

        It never marks the SKU loaded: one location's report says nothing of the others."""
        return await self._upsert(conn, change.sku, change.location, change.on_hand, change.available,
                                  change.sequence, received_at, source=change.source)

    async def mark_visible(self, changes: Sequence[StockChanged]) -> None:
        """Checkout sees ``changes`` now (applied, cached answers dropped): their rows' ``visible_at``,
        unless a newer report replaced one meanwhile; one statement. The lag samples are these rows."""
        if not changes:
            return
        now = datetime.now(UTC)
        async with self._engine.begin() as conn:
            await conn.execute(update(levels).where(
                levels.c.sku == bindparam("k_sku"), levels.c.location == bindparam("k_loc"),
                levels.c.sequence == bindparam("k_seq"), levels.c.received_at.is_not(None),
            ).values(visible_at=bindparam("k_at")), [{"k_sku": c.sku, "k_loc": c.location, "k_seq": c.sequence,
                                                      "k_at": now} for c in changes])

    async def apply_many(self, conn: AsyncConnection, changes: Sequence[StockChanged],
                         received: Sequence[datetime | None] = ()) -> list[bool]:
        """``apply`` for a batch of reports, one statement: per (sku, location) only the newest
        sequence of the batch is written (and only if newer than the row's), so the answer is
        True for the reports that are now the row and False for the others (older, duplicates,
        or beaten by a newer one in the same batch). Rows are written in (sku, location) order,
        the lock order every batch shares."""
        if not changes:
            return []
        newest: dict[tuple[str, str], tuple[StockChanged, datetime | None]] = {}
        for c, at in zip(changes, list(received) or [None] * len(changes)):
            held = newest.get((c.sku, c.location))
            if held is None or c.sequence > held[0].sequence:
                newest[(c.sku, c.location)] = (c, at)
        now = self._clock()
        stmt = _level_upsert(conn).returning(levels.c.sku, levels.c.location, levels.c.sequence)
        rows = [_row(c.sku, c.location, c.on_hand, c.available, c.sequence, now, at, c.source)
                for _, (c, at) in sorted(newest.items())]
        written = {(r.sku, r.location, r.sequence) for r in await conn.execute(stmt, rows)}
        first: set[tuple[str, str, int]] = set()
        out = []
        for c in changes:  # a duplicate of the written report counts once
            key = (c.sku, c.location, c.sequence)
            out.append(key in written and key not in first)
            first.add(key)
        return out

    async def correct(self, conn: AsyncConnection, level: StockLevel) -> bool:
        """Take a backend's level as reconciliation read it: when its sequence is newer, or the
        same with other values (the book drifted). False when the book holds it already."""
        taken = await self._upsert(conn, level.sku, level.location, level.on_hand, level.available, level.sequence,
                                   same_sequence=True)
        if taken:
            await self._changed(conn, [level.sku])
        return taken

    async def reserve(self, conn: AsyncConnection, sku: str, quantity: int, channel: str | None = None) -> bool:
        """Hold ``quantity`` of ``sku`` for an order of ``channel`` if that much is free over the
        channel's buffer (``SkuStock.free``); False (nothing held) otherwise."""
        result = await conn.execute(RESERVE, {"s": sku, "q": quantity, "b": self._buffer.of(channel),
                                               **self._counting()})
        if result.rowcount == 1:
            await self._changed(conn, [sku])
        return result.rowcount == 1

    async def reserve_many(self, conn: AsyncConnection, wanted: Mapping[str, int],
                           channel: str | None = None) -> set[str]:
        """``reserve`` for every SKU of ``wanted`` (SKU -> quantity) in one statement; the SKUs held.
        Short of some, the caller rolls back (``holds.reserve_all``)."""
        held = await reserve_all(conn, wanted, self._buffer.of(channel), self._fresh_since(), self._names)
        await self._changed(conn, sorted(held))
        return held

    async def held_elsewhere(self, skus: Sequence[str]) -> None:
        """Holds taken outside ``reserve`` (order capture's one-trip function, committed): tell
        ``on_change`` after the fact, in a transaction of its own, shared by the captures that
        finish together (group commit: one statement for their SKUs, each marked once; a hot
        SKU's mark row is updated once per batch, not once per order). Returns once it is
        committed; a failed batch fails each of its callers, as their own transaction would."""
        if self._on_change is not None and skus:
            await self._elsewhere.submit(skus)

    async def _mark_elsewhere(self, batch: list[Sequence[str]]) -> list[None]:
        async with self._engine.begin() as conn:
            await self._changed(conn, sorted({sku for skus in batch for sku in skus}))
        return [None] * len(batch)

    def one_trip_holds(self, channel: str | None, loaded: Loaded = Loaded()) -> bool:
        """Whether ``hub_capture_order`` (migration 0006: ``reserved + q <= sum(available)``, every
        level) holds as ``reserve`` would for the SKUs ``loaded``: only with no buffer, every
        source answering, and no level of a source no longer configured among them."""
        return self._buffer.of(channel) == 0 and not loaded.missing and not loaded.retired

    async def unreserve(self, conn: AsyncConnection, sku: str, quantity: int) -> None:
        """Give back a hold (shipped or cancelled); never below zero."""
        await conn.execute(update(reservations).where(reservations.c.sku == sku).values(
            reserved=func.max(reservations.c.reserved - quantity, 0) if conn.dialect.name == "sqlite"
            else func.greatest(reservations.c.reserved - quantity, 0)))
        await self._changed(conn, [sku])

    async def available(self, sku: str) -> tuple[int, int]:
        """(sum of counted available at all locations, reserved) for ``sku``."""
        async with reading(self._engine) as conn:
            total = (await conn.execute(select(func.coalesce(func.sum(levels.c.available), 0))
                                        .where(levels.c.sku == sku, COUNTED), self._counting())
                     ).scalar_one()
            held = (await conn.execute(select(reservations.c.reserved).where(reservations.c.sku == sku))).scalar()
        return int(total), int(held or 0)

    def _fresh_since(self) -> datetime:
        return self._clock() - self._stale

    def _counting(self) -> dict[str, object]:
        """``COUNTED``'s parameters now."""
        return {"fresh": self._fresh_since(), "sources": self._names}

    async def _upsert(self, conn: AsyncConnection, sku: str, location: str, on_hand: int, available: int,
                      sequence: int, received_at: datetime | None = None, *, same_sequence: bool = False,
                      source: str | None = None) -> bool:
        row = _row(sku, location, on_hand, available, sequence, self._clock(), received_at, source)
        result = await conn.execute(_level_upsert(conn, same_sequence=same_sequence), row)
        return result.rowcount == 1

