"""Orders in the ERP: what the hub recorded as posted is there, and nothing accepted is stuck.

1. Every order the hub holds an ERP sales order number for (created within ``lookback``) is
   looked up in the ERP by its external reference (the order id): missing, another number,
   or another total or currency is ``reported`` (re-posting could book a second sales order
   under another number; an operator decides).
2. An order still ``accepted`` (not posted) ``stuck_after`` its last change, with no
   ``order.accepted`` message waiting in the outbox, lost its posting (e.g. its dead letter
   was deleted): the posting is enqueued again (``repaired``), in one transaction with the
   order's row held and both conditions checked again. Posting is idempotent on the order
   id at the ERP and in the handler, so a repair never books a second sales order. One
   with an open dead letter is ``reported``: replaying that letter is the operator's call.

An ERP that is down or throttling stops the check (``BackendUnavailable``): the runner records
it as ``failed``; what was compared before stands.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from process_apis.orders import repository as orders_repo
from process_apis.reconcile.check import Findings
from process_apis.reconcile.schemas import Finding
from shared.db.engine import reading
from shared.db.tables import dead_letters, orders, outbox
from shared.messaging.outbox import enqueue
from shared.models import SalesOrderRecord
from system_apis.erp.port import ErpPort

POST_TOPIC = "order.accepted"


class ErpOrdersCheck:
    name = "erp_orders"

    def __init__(self, engine: AsyncEngine, erp: ErpPort, *, stuck_after: timedelta,
                 lookback: timedelta = timedelta(days=7), page: int = 100, concurrency: int = 8,
                 wake: Callable[[], None] = lambda: None,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._engine, self._erp, self._stuck_after, self._lookback = engine, erp, stuck_after, lookback
        self._page, self._concurrency, self._wake, self._now = page, concurrency, wake, now

    async def run(self, found: Findings) -> None:
        await self._posted(found)
        await self._stuck(found)

    async def _posted(self, found: Findings) -> None:
        o = orders.c
        query = (select(o.order_id, o.erp_order_number, o.total, o.currency)
                 .where(o.erp_order_number.is_not(None), o.created_at >= self._now() - self._lookback)
                 .order_by(o.order_id).limit(self._page))
        after = ""
        while rows := await self._rows(query.where(o.order_id > after)):
            for start in range(0, len(rows), self._concurrency):
                chunk = rows[start:start + self._concurrency]
                records = await asyncio.gather(*(self._erp.find_sales_order(r.order_id) for r in chunk))
                for row, record in zip(chunk, records):
                    found.checked()
                    finding = _compare(row, record)
                    if finding is not None:
                        await found.add(finding)
            after = rows[-1].order_id

    async def _stuck(self, found: Findings) -> None:
        o = orders.c
        query = (select(o.order_id, o.updated_at).where(o.status == "accepted",
                                                        o.updated_at < self._now() - self._stuck_after)
                 .order_by(o.order_id).limit(self._page))
        after = ""
        while rows := await self._rows(query.where(o.order_id > after)):
            for row in rows:
                found.checked()
                finding = await self._repost(row.order_id)
                if finding is not None:
                    await found.add(finding)
            after = rows[-1].order_id

    async def _repost(self, order_id: str) -> Finding | None:
        async with self._engine.begin() as conn:
            order = await orders_repo.lock(conn, order_id)
            if order is None or order.status != "accepted" or await _waiting(conn, order_id):
                return None  # posted, or its message waits, meanwhile
            letter = (await conn.execute(select(dead_letters.c.id).where(
                dead_letters.c.topic == POST_TOPIC, dead_letters.c.key == order_id,
                dead_letters.c.status == "open").limit(1))).scalar()
            if letter is not None:
                return Finding(subject=order_id, action="reported", expected="posted", actual="accepted",
                               detail=f"its ERP posting is dead-lettered ({letter}): replay or resolve it")
            await enqueue(conn, POST_TOPIC, order_id, orders_repo.OrderRef(order_id=order_id))
        self._wake()
        return Finding(subject=order_id, action="repaired", expected="posted", actual="accepted",
                       detail="accepted but never posted, with no message waiting: ERP posting queued again")

    async def _rows(self, query) -> list:  # noqa: ANN001
        async with reading(self._engine) as conn:
            return list((await conn.execute(query)).all())


async def _waiting(conn, order_id: str) -> bool:  # noqa: ANN001
    query = select(outbox.c.id).where(outbox.c.topic == POST_TOPIC, outbox.c.key == order_id).limit(1)
    return (await conn.execute(query)).first() is not None


def _compare(row, record: SalesOrderRecord | None) -> Finding | None:  # noqa: ANN001
    expected = f"{row.erp_order_number} {row.currency} {Decimal(row.total)}"
    if record is None:
        return Finding(subject=row.order_id, action="reported", expected=expected, actual=None,
                       detail="posted by the hub but the ERP has no sales order for it")
    actual = f"{record.erp_order_number} {record.currency} {record.total}"
    if record.erp_order_number != row.erp_order_number:
        detail = "the ERP holds it under another sales order number"
    elif record.total != Decimal(row.total) or record.currency != row.currency:
        detail = "the ERP's sales order has another total"
    else:
        return None
    return Finding(subject=row.order_id, action="reported", expected=expected, actual=actual, detail=detail)
