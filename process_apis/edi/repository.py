"""EDI rows (``shared.db.edi_tables``): documents, purchase order outcomes, control numbers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from process_apis.edi.schemas import DocumentView, OrderOutcome
from shared.db.dialect import insert
from shared.db.edi_tables import edi_control_numbers as numbers
from shared.db.edi_tables import edi_documents as documents
from shared.db.edi_tables import edi_orders as orders
from shared.messaging.outbox import as_utc
from system_apis.edi.port import PurchaseOrder


async def next_numbers(conn: AsyncConnection, partner: str) -> tuple[int, int, int]:
    """The next ISA13, GS06 and ST02 for a document to ``partner``, held by this transaction."""
    await conn.execute(insert(conn, numbers).values(partner=partner, interchange=0, group_number=0,
                                                    transaction_set=0).on_conflict_do_nothing())
    row = (await conn.execute(
        update(numbers).where(numbers.c.partner == partner)
        .values(interchange=numbers.c.interchange % 999999999 + 1, group_number=numbers.c.group_number % 999999999 + 1,
                transaction_set=numbers.c.transaction_set % 999999999 + 1)
        .returning(numbers.c.interchange, numbers.c.group_number, numbers.c.transaction_set))).one()
    return row.interchange, row.group_number, row.transaction_set


async def add_document(conn: AsyncConnection, **values: Any) -> DocumentView | None:
    """The stored document, or None when (partner, direction, type, ref) exists already."""
    values.setdefault("created_at", datetime.now(UTC))
    new_id = (await conn.execute(insert(conn, documents).values(**values).on_conflict_do_nothing()
                                 .returning(documents.c.id))).scalar_one_or_none()
    if new_id is None:
        return None
    values.pop("ref")
    return DocumentView(id=new_id, **values)


async def document(conn: AsyncConnection, partner: str, direction: str, doc_type: str, ref: str) -> DocumentView | None:
    row = (await conn.execute(select(documents).where(
        documents.c.partner == partner, documents.c.direction == direction, documents.c.doc_type == doc_type,
        documents.c.ref == ref))).first()
    return None if row is None else _view(row)


async def answers_to(conn: AsyncConnection, partner: str, interchange: str) -> list[DocumentView]:
    """What was sent back for an interchange: its 997 or TA1, then its 855s, oldest first."""
    rows = await conn.execute(select(documents).where(
        documents.c.partner == partner, documents.c.direction == "out",
        (documents.c.ref == interchange) | documents.c.ref.startswith(f"{interchange}:")).order_by(documents.c.id))
    return [_view(r) for r in rows if r.doc_type in ("997", "TA1", "855")]


async def page(conn: AsyncConnection, partners: list[str], limit: int, before: int | None,
               doc_type: str | None) -> list[DocumentView]:
    query = select(documents).where(documents.c.partner.in_(partners))
    if before is not None:
        query = query.where(documents.c.id < before)
    if doc_type is not None:
        query = query.where(documents.c.doc_type == doc_type)
    rows = await conn.execute(query.order_by(documents.c.id.desc()).limit(limit))
    return [_view(r) for r in rows]


def _view(row: Any) -> DocumentView:
    return DocumentView(id=row.id, partner=row.partner, direction=row.direction, doc_type=row.doc_type,
                        interchange_control=row.interchange_control, group_control=row.group_control,
                        set_control=row.set_control, status=row.status, order_id=row.order_id,
                        po_number=row.po_number, raw=row.raw, created_at=as_utc(row.created_at))


async def record_order(conn: AsyncConnection, partner: str, interchange: str, po: PurchaseOrder,
                       outcome: OrderOutcome) -> bool:
    """False when this 850 already has its outcome (a second run of the same capture)."""
    done = await conn.execute(insert(conn, orders).values(
        partner=partner, interchange_control=interchange, set_control=po.control, po_number=po.po_number,
        outcome=outcome.outcome, order_id=outcome.order_id, detail=(outcome.detail or "")[:500] or None,
        purchase_order=msgspec.to_builtins(po),
        created_at=datetime.now(UTC)).on_conflict_do_nothing().returning(orders.c.partner))
    return done.first() is not None


async def outcome_of(conn: AsyncConnection, partner: str, interchange: str, control: str) -> OrderOutcome | None:
    row = (await conn.execute(select(orders.c.po_number, orders.c.outcome, orders.c.order_id, orders.c.detail).where(
        orders.c.partner == partner, orders.c.interchange_control == interchange,
        orders.c.set_control == control))).first()
    return None if row is None else OrderOutcome(po_number=row.po_number, set_control=control, outcome=row.outcome,
                                                 order_id=row.order_id, detail=row.detail)


async def order_of(conn: AsyncConnection, order_id: str) -> tuple[str, PurchaseOrder] | None:
    """The partner and 850 a hub order came from, or None (not an EDI order)."""
    row = (await conn.execute(select(orders.c.partner, orders.c.purchase_order)
                              .where(orders.c.order_id == order_id))).first()
    return None if row is None else (row.partner, msgspec.convert(row.purchase_order, PurchaseOrder))
