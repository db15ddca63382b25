"""The processed-message ledger: an idempotent consumer's memory of what it has done.

Use it in the same transaction as the handler's effect::

    async with engine.begin() as conn:
        if await first_time(conn, "erp-posting", message.id):
            ...  # the effect, committed together with the ledger row

A redelivered message (delivery is at least once) then finds its row and does
nothing. ``consumer`` names the effect, so two handlers of one message keep
separate entries. Entries are kept HUB_PROCESSED_MESSAGE_RETENTION_SECONDS
(7 days by default, far past any redelivery: the retry budget and the Redis
republish are minutes) and then swept by ``retention.RetentionSweeper``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from shared.db.dialect import insert
from shared.db.tables import processed_messages


async def first_time(conn: AsyncConnection, consumer: str, message_id: str) -> bool:
    """True the first time ``consumer`` records ``message_id``; False ever after."""
    stmt = (
        insert(conn, processed_messages)
        .values(consumer=consumer, message_id=message_id, processed_at=datetime.now(UTC))
        .on_conflict_do_nothing(index_elements=["consumer", "message_id"])
        .returning(processed_messages.c.message_id)
    )
    return (await conn.execute(stmt)).first() is not None
