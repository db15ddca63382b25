"""``return.updated``: every change of an RMA, announced exactly when it is committed.

``move`` is the one way an RMA changes after it was made: the conditional
update and its history entry (``repository.change``) plus an outbox message,
in the caller's transaction. A worker hands each message to the bus (topic
``return.updated``, a ``ReturnUpdated``) for the console and, next, the
partner webhooks. The outbox makes the announcement as durable as the change;
the bus itself is best effort.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from process_apis.returns import repository as repo
from process_apis.returns.schemas import ReturnUpdated
from shared.bus import Bus
from shared.messaging.outbox import Message, enqueue

UPDATED_TOPIC = "return.updated"


async def announce(conn: AsyncConnection, rma: repo.StoredReturn, detail: str | None) -> None:
    await enqueue(conn, UPDATED_TOPIC, rma.rma_id, ReturnUpdated(
        rma_id=rma.rma_id, order_id=rma.order_id, customer_id=rma.customer_id, consumer=rma.consumer,
        status=rma.status, refund_status=rma.refund_status, at=rma.updated_at, detail=detail))  # type: ignore[arg-type]


async def move(conn: AsyncConnection, rma: repo.StoredReturn, *, detail: str, **change: Any) -> repo.StoredReturn | None:
    """``repository.change`` and, when it changed the RMA, its ``return.updated``."""
    changed = await repo.change(conn, rma, detail=detail, **change)
    if changed is not None:
        await announce(conn, changed, detail)
    return changed


class ReturnEvents:
    """The worker side: outbox ``return.updated`` -> bus ``return.updated``."""

    def __init__(self, bus: Bus) -> None:
        self._bus = bus

    def handlers(self) -> dict:
        return {UPDATED_TOPIC: self.publish}

    async def publish(self, message: Message) -> None:
        await self._bus.publish(UPDATED_TOPIC, message.decode(ReturnUpdated))
