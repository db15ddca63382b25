"""The ERP replica's rows (``shared.db.erp_tables``) <-> canonical records, and its sync state.

A write never takes an older reading over a newer one: a record is replaced only by one the
hub heard from the ERP at the same time or later (``heard_at``), whichever path brought it (the
full sync, a change event, a live read on a miss), so a slow reader cannot undo a fresh event.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import msgspec
from sqlalchemy import Table, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.db.dialect import insert
from shared.db.engine import reading
from shared.db.erp_tables import erp_contract_prices, erp_customers, erp_items, erp_sync_state
from shared.models import ContractPrices, Customer, Item, ItemPage, PriceBreak

STATE = "erp"
_KEYS = {erp_items: "sku", erp_customers: "customer_id", erp_contract_prices: "customer_id"}


class SyncState(msgspec.Struct, frozen=True, kw_only=True):
    full_sync_at: datetime | None = None
    """When the last complete full sync began (every record it did not see is gone)."""
    event_at: datetime | None = None
    """When the last change event was applied."""


def utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every time here is UTC."""
    return value if value is None or value.tzinfo is not None else value.replace(tzinfo=UTC)


def _item_row(item: Item) -> dict:
    return {"sku": item.sku, "name": item.name, "currency": item.currency, "list_price": str(item.list_price),
            "orderable": item.orderable, "final_sale": item.final_sale, "modified_at": item.modified_at,
            "breaks": [[b.min_quantity, str(b.unit_price)] for b in item.breaks]}


def _item(row: object) -> Item:
    return Item(sku=row.sku, name=row.name, currency=row.currency, list_price=Decimal(row.list_price),
                orderable=row.orderable, final_sale=row.final_sale, modified_at=utc(row.modified_at),
                breaks=tuple(PriceBreak(min_quantity=q, unit_price=Decimal(p)) for q, p in row.breaks),
                as_of=utc(row.heard_at))


def _customer_row(customer: Customer) -> dict:
    return {"customer_id": customer.customer_id, "name": customer.name, "terms": customer.terms,
            "currency": customer.currency, "credit_limit": str(customer.credit_limit),
            "credit_hold": customer.credit_hold}


def _customer(row: object) -> Customer:
    return Customer(customer_id=row.customer_id, name=row.name, terms=row.terms, currency=row.currency,
                    credit_limit=Decimal(row.credit_limit), credit_hold=row.credit_hold, as_of=utc(row.heard_at))


def _contract_row(contract: ContractPrices) -> dict:
    return {"customer_id": contract.customer_id, "prices": {sku: str(p) for sku, p in contract.prices.items()}}


def _contract(row: object) -> ContractPrices:
    return ContractPrices(customer_id=row.customer_id, prices={s: Decimal(p) for s, p in row.prices.items()},
                          as_of=utc(row.heard_at))


class ReplicaStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    # -- records ---------------------------------------------------------------------------------
    async def put_items(self, items: Iterable[Item], heard_at: datetime) -> None:
        await self._put(erp_items, [_item_row(i) for i in items], heard_at)

    async def put_customers(self, customers: Iterable[Customer], heard_at: datetime) -> None:
        await self._put(erp_customers, [_customer_row(c) for c in customers], heard_at)

    async def put_contracts(self, contracts: Iterable[ContractPrices], heard_at: datetime) -> None:
        await self._put(erp_contract_prices, [_contract_row(c) for c in contracts], heard_at)

    async def item(self, sku: str) -> Item | None:
        row = await self._one(erp_items, sku)
        return None if row is None else _item(row)

    async def items(self, skus: Iterable[str]) -> dict[str, Item]:
        """The held ones of ``skus``, in one statement (a basket's lines)."""
        wanted = sorted(set(skus))
        if not wanted:
            return {}
        async with reading(self._engine) as conn:
            rows = (await conn.execute(select(erp_items).where(erp_items.c.sku.in_(wanted)))).all()
        return {row.sku: _item(row) for row in rows}

    async def item_and_contract(self, sku: str, customer_id: str) -> tuple[Item | None, ContractPrices | None]:
        """An item and a customer's contract prices on one connection (a price answer's two reads)."""
        async with reading(self._engine) as conn:
            item = (await conn.execute(select(erp_items).where(erp_items.c.sku == sku))).first()
            contract = (await conn.execute(select(erp_contract_prices)
                                           .where(erp_contract_prices.c.customer_id == customer_id))).first()
        return None if item is None else _item(item), None if contract is None else _contract(contract)

    async def customer(self, customer_id: str) -> Customer | None:
        row = await self._one(erp_customers, customer_id)
        return None if row is None else _customer(row)

    async def contract(self, customer_id: str) -> ContractPrices | None:
        row = await self._one(erp_contract_prices, customer_id)
        return None if row is None else _contract(row)

    async def item_page(self, offset: int, limit: int) -> ItemPage:
        query = select(erp_items).order_by(erp_items.c.sku).offset(offset).limit(limit + 1)
        async with reading(self._engine) as conn:
            rows = (await conn.execute(query)).all()
        return ItemPage(items=tuple(_item(r) for r in rows[:limit]),
                        next_offset=offset + limit if len(rows) > limit else None)

    async def forget(self, kind: str, key: str, heard_at: datetime) -> None:
        """The ERP no longer has the record (heard at ``heard_at``)."""
        table = {"item": erp_items, "customer": erp_customers, "contract": erp_contract_prices}[kind]
        column = table.c[_KEYS[table]]
        async with self._engine.begin() as conn:
            await conn.execute(delete(table).where(column == key, table.c.heard_at <= heard_at))

    async def drop_unheard(self, since: datetime) -> None:
        """After a complete full sync: whatever it did not see (heard before it began) is gone."""
        async with self._engine.begin() as conn:
            for table in _KEYS:
                await conn.execute(delete(table).where(table.c.heard_at < since))

    async def _put(self, table: Table, rows: list[dict], heard_at: datetime) -> None:
        if not rows:
            return
        async with self._engine.begin() as conn:
            stmt = insert(conn, table).values([{**row, "heard_at": heard_at} for row in rows])
            newer = {name: stmt.excluded[name] for name in rows[0] if name != _KEYS[table]}
            await conn.execute(stmt.on_conflict_do_update(
                index_elements=[_KEYS[table]], set_={**newer, "heard_at": stmt.excluded.heard_at},
                where=table.c.heard_at <= stmt.excluded.heard_at))

    async def _one(self, table: Table, key: str) -> object | None:
        async with reading(self._engine) as conn:
            return (await conn.execute(select(table).where(table.c[_KEYS[table]] == key))).first()

    # -- sync state and the full-sync lease ------------------------------------------------------
    async def state(self) -> SyncState:
        async with reading(self._engine) as conn:
            row = (await conn.execute(select(erp_sync_state).where(erp_sync_state.c.name == STATE))).first()
        return SyncState() if row is None else SyncState(full_sync_at=utc(row.full_sync_at),
                                                         event_at=utc(row.event_at))

    async def take_lease(self, owner: str, now: datetime, hold: timedelta, due_before: datetime | None) -> bool:
        """Become the one syncing process until ``now + hold``: only when no live lease is held,
        and (``due_before`` given) only when the last full sync began before ``due_before``."""
        state = erp_sync_state.c
        async with self._engine.begin() as conn:
            await conn.execute(insert(conn, erp_sync_state).values(name=STATE).on_conflict_do_nothing())
            query = update(erp_sync_state).where(
                state.name == STATE, or_(state.lease_until.is_(None), state.lease_until < now))
            if due_before is not None:
                query = query.where(or_(state.full_sync_at.is_(None), state.full_sync_at < due_before))
            taken = await conn.execute(query.values(lease_owner=owner, lease_until=now + hold,
                                                    full_sync_started_at=now))
        return taken.rowcount == 1

    async def renew_lease(self, owner: str, until: datetime) -> None:
        await self._state(owner, lease_until=until)

    async def end_lease(self, owner: str, full_sync_at: datetime | None) -> None:
        """Let the lease go; with ``full_sync_at``, record a complete sync that began then."""
        done = {} if full_sync_at is None else {"full_sync_at": full_sync_at}
        await self._state(owner, lease_owner=None, lease_until=None, **done)

    async def mark_event(self, at: datetime) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(insert(conn, erp_sync_state).values(name=STATE).on_conflict_do_nothing())
            await conn.execute(update(erp_sync_state).where(erp_sync_state.c.name == STATE).values(event_at=at))

    async def _state(self, owner: str, **values: object) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(update(erp_sync_state).where(
                erp_sync_state.c.name == STATE, erp_sync_state.c.lease_owner == owner).values(**values))
