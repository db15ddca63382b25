"""Returns in the system of record (SQLAlchemy Core); rows never leave: Structs do.

An RMA is one row (its lines as JSON) plus its history. Every change is a
conditional UPDATE on the fields it moves from (``status``, ``saga_step``), so
a step delivered twice or replayed after a crash changes nothing the second
time. ``return_claims`` holds, per (order, sku), the units that approved lines
of live returns hold: claiming is ``claimed + q <= shipped`` in one UPDATE.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from process_apis.orders.repository import visible_to
from process_apis.orders.schemas import Viewer
from process_apis.returns.rules import Shipped
from process_apis.returns.schemas import HistoryEntry, RefundView, ReturnLine, ReturnView
from process_apis.notifications import events as partner_events
from shared.db.dialect import insert
from shared.db.tables import orders, return_claims, return_history, returns, shipments
from shared.telemetry import current_trace_id

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
_INSERT_HISTORY = return_history.insert()


def new_rma_id() -> str:
    """``rma_`` + 26 base32 characters: 48 bits of milliseconds then 80 random bits."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        value, rest = divmod(value, 32)
        chars.append(_ALPHABET[rest])
    return "rma_" + "".join(reversed(chars))


class StoredReturn(msgspec.Struct, frozen=True, kw_only=True):
    """An RMA row as the service and the saga need it."""

    rma_id: str
    order_id: str
    consumer: str
    customer_id: str | None
    channel: str
    status: str
    currency: str
    refund_amount: Decimal
    refund_status: str
    refund_method: str
    refund_reason: str | None = None
    saga_step: str | None = None
    credit_memo_id: str | None = None
    refund_id: str | None = None
    lines: tuple[ReturnLine, ...]
    version: int = 1
    created_at: datetime
    updated_at: datetime


async def insert_return(conn: AsyncConnection, rma: StoredReturn, detail: str | None) -> None:
    await conn.execute(returns.insert(), dict(
        rma_id=rma.rma_id, order_id=rma.order_id, consumer=rma.consumer, customer_id=rma.customer_id,
        channel=rma.channel, status=rma.status, currency=rma.currency, refund_amount=str(rma.refund_amount),
        refund_status=rma.refund_status, refund_method=rma.refund_method, refund_reason=rma.refund_reason,
        saga_step=rma.saga_step, lines=msgspec.to_builtins(rma.lines), version=rma.version, created_at=rma.created_at,
        updated_at=rma.updated_at))
    await add_history(conn, rma.rma_id, rma.status, rma.refund_status, rma.created_at, detail)


async def add_history(conn: AsyncConnection, rma_id: str, status: str, refund_status: str, at: datetime,
                      detail: str | None) -> None:
    await conn.execute(_INSERT_HISTORY, {"rma_id": rma_id, "status": status, "refund_status": refund_status,
                                         "at": at, "detail": detail[:500] if detail else None,
                                         "trace_id": current_trace_id()})
    await partner_events.return_updated(conn, rma_id, status, refund_status, at, detail)


async def change(conn: AsyncConnection, rma: StoredReturn, *, detail: str, status_from: Iterable[str] | None = None,
                 step_from: str | None = None, unchanged: bool = False, **values: Any) -> StoredReturn | None:
    """Set ``values`` only while the row is still in one of ``status_from``, at saga step
    ``step_from``, and (``unchanged``) at ``rma.version``; record the history. The changed RMA,
    or None when the row had moved on."""
    now = datetime.now(UTC)
    condition = [returns.c.rma_id == rma.rma_id]
    if status_from is not None:
        condition.append(returns.c.status.in_(list(status_from)))
    if step_from is not None:
        condition.append(returns.c.saga_step == step_from)
    if unchanged:
        condition.append(returns.c.version == rma.version)
    if "lines" in values:
        values["lines"] = msgspec.to_builtins(values["lines"])
    if "refund_amount" in values:
        values["refund_amount"] = str(values["refund_amount"])
    result = await conn.execute(update(returns).where(*condition).values(updated_at=now, version=returns.c.version + 1, **values))
    if result.rowcount != 1:
        return None
    changed = await load(conn, rma.rma_id)
    assert changed is not None
    await add_history(conn, changed.rma_id, changed.status, changed.refund_status, now, detail)
    return changed


async def load(conn: AsyncConnection, rma_id: str, *, for_update: bool = False) -> StoredReturn | None:
    query = select(returns).where(returns.c.rma_id == rma_id)
    if for_update and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return _stored(row) if row is not None else None


async def view(conn: AsyncConnection, rma_id: str, viewer: Viewer | None) -> ReturnView | None:
    """The RMA with its history, or None when absent or its order is not the viewer's (None: an operator)."""
    query = select(returns).where(returns.c.rma_id == rma_id)
    if viewer is not None:
        query = query.join(orders, orders.c.order_id == returns.c.order_id).where(visible_to(viewer))
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    rma = _stored(row)
    history = (await conn.execute(select(return_history).where(return_history.c.rma_id == rma_id)
                                  .order_by(return_history.c.id))).all()
    return as_view(rma, tuple(HistoryEntry(status=h.status, refund_status=h.refund_status, at=_utc(h.at),
                                           detail=h.detail) for h in history))


def as_view(rma: StoredReturn, history: tuple[HistoryEntry, ...] = ()) -> ReturnView:
    return ReturnView(
        rma_id=rma.rma_id, order_id=rma.order_id, status=rma.status, channel=rma.channel,  # type: ignore[arg-type]
        customer_id=rma.customer_id, lines=rma.lines, created_at=rma.created_at, updated_at=rma.updated_at,
        saga_step=rma.saga_step, history=history,
        refund=RefundView(amount=rma.refund_amount, currency=rma.currency, status=rma.refund_status,  # type: ignore[arg-type]
                          method=rma.refund_method, reason=rma.refund_reason,  # type: ignore[arg-type]
                          credit_memo_id=rma.credit_memo_id, refund_id=rma.refund_id))


async def shipped(conn: AsyncConnection, order_id: str) -> dict[str, Shipped]:
    """Per SKU: units the order's shipments carried, and when the last of them left."""
    out: dict[str, Shipped] = {}
    rows = await conn.execute(select(shipments.c.shipped_at, shipments.c.lines).where(shipments.c.order_id == order_id))
    for row in rows:
        at = _utc(row.shipped_at)
        for line in row.lines:
            seen = out.get(line["sku"])
            out[line["sku"]] = Shipped(quantity=(seen.quantity if seen else 0) + int(line["quantity"]),
                                       last_shipped_at=max(at, seen.last_shipped_at) if seen else at)
    return out


async def live_refunds(conn: AsyncConnection, order_id: str, but: str) -> list[tuple[Decimal, tuple[ReturnLine, ...]]]:
    """(amount, lines) of the order's other returns whose refund is issued or under way."""
    rows = await conn.execute(select(returns.c.refund_amount, returns.c.lines).where(
        returns.c.order_id == order_id, returns.c.rma_id != but, returns.c.refund_status.in_(("pending", "issued"))))
    return [(Decimal(row.refund_amount), msgspec.convert(row.lines, tuple[ReturnLine, ...])) for row in rows]


async def claimed(conn: AsyncConnection, order_id: str) -> dict[str, int]:
    rows = await conn.execute(select(return_claims.c.sku, return_claims.c.claimed)
                              .where(return_claims.c.order_id == order_id))
    return {row.sku: row.claimed for row in rows}


async def claim(conn: AsyncConnection, order_id: str, wanted: Mapping[str, int], shipped_: Mapping[str, Shipped]) -> list[str]:
    """Claim ``wanted`` units per SKU while ``claimed + q <= shipped``; the SKUs that did not fit
    (then the caller rolls back). SKUs in one order, so concurrent claims never deadlock."""
    short = []
    for sku in sorted(wanted):
        await conn.execute(insert(conn, return_claims).values(order_id=order_id, sku=sku, claimed=0)
                           .on_conflict_do_nothing())
        c = return_claims.c
        result = await conn.execute(update(return_claims).where(
            c.order_id == order_id, c.sku == sku, c.claimed + wanted[sku] <= shipped_[sku].quantity,
        ).values(claimed=c.claimed + wanted[sku]))
        if result.rowcount != 1:
            short.append(sku)
    return short


async def release(conn: AsyncConnection, order_id: str, claims: Mapping[str, int]) -> None:
    """Give back what a return claimed (it was rejected, or its refund failed and was undone)."""
    c = return_claims.c
    for sku in sorted(claims):
        await conn.execute(update(return_claims).where(c.order_id == order_id, c.sku == sku)
                           .values(claimed=c.claimed - claims[sku]))


def _stored(row: Any) -> StoredReturn:
    r = row._mapping
    return StoredReturn(
        rma_id=r["rma_id"], order_id=r["order_id"], consumer=r["consumer"], customer_id=r["customer_id"],
        channel=r["channel"], status=r["status"], currency=r["currency"], refund_amount=Decimal(r["refund_amount"]),
        refund_status=r["refund_status"], refund_method=r["refund_method"], refund_reason=r["refund_reason"],
        saga_step=r["saga_step"], credit_memo_id=r["credit_memo_id"], refund_id=r["refund_id"],
        lines=msgspec.convert(r["lines"], tuple[ReturnLine, ...]), version=r["version"], created_at=_utc(r["created_at"]),
        updated_at=_utc(r["updated_at"]))


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
