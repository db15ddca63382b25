"""Each polled channel connection's order cursor, in ``channel_poll_cursors`` (migration 0029).

``advance`` stores a cursor unless the stored one is later (one statement: an insert that on a
conflict updates only ``WHERE stored < new``), so two instances polling at once never move it
backwards: the slower one's store of an older page is a no-op. "Later" is bytewise string order,
which is time order for the cursors the feeds make: Magento's ``YYYY-MM-DD HH:MM:SS`` and Amazon's
``YYYY-MM-DDTHH:MM:SSZ`` are fixed-width UTC times (a feed whose cursors do not sort so must not
rely on this store).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.channel_poll_tables import channel_poll_cursors as cursors
from shared.db.dialect import insert


class PollCursors:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def load(self, connection: str) -> str | None:
        """The stored cursor of ``connection``; ``None`` before its first stored page."""
        async with self._engine.connect() as conn:
            found = await conn.execute(select(cursors.c.cursor).where(cursors.c.connection == connection))
            return found.scalar_one_or_none()

    async def advance(self, connection: str, cursor: str) -> None:
        """Store ``cursor`` for ``connection`` unless a later one is stored already."""
        async with self._engine.begin() as conn:
            stmt = insert(conn, cursors).values(connection=connection, cursor=cursor, updated_at=datetime.now(UTC))
            await conn.execute(stmt.on_conflict_do_update(
                index_elements=[cursors.c.connection],
                set_={"cursor": stmt.excluded.cursor, "updated_at": stmt.excluded.updated_at},
                where=cursors.c.cursor < stmt.excluded.cursor))
