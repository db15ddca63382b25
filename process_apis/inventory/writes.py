"""How the stock book writes a level: one upsert, newest sequence wins (``StockBook``'s reports,
loads, resyncs and corrections)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, func, or_
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.db.dialect import insert
from shared.db.tables import stock_levels as levels


def level_row(sku: str, location: str, on_hand: int, available: int, sequence: int, updated_at: datetime,
              received_at: datetime | None, source: str | None) -> dict:
    """One level's parameters for ``level_upsert``."""
    return {"sku": sku, "location": location, "on_hand": on_hand, "available": available, "sequence": sequence,
            "updated_at": updated_at, "received_at": received_at, "visible_at": None, "source": source}


def level_upsert(conn: AsyncConnection, *, same_sequence: bool = False, adopt: Sequence[str] = ()):  # noqa: ANN202
    """Insert or update levels, executed with one ``level_row`` or a list of them (``executemany``: the
    statement is compiled once and cached, whatever the batch's size; a multi-row VALUES was
    compiled anew for every batch, about 0.3 ms per row). A row is taken when its sequence is
    newer than the book's (or, ``same_sequence``, equal with other values: a reconciliation's
    correction). A report that is taken is not checkout-visible yet (``visible_at`` cleared); a
    report with no source keeps the one recorded. One statement never holds a (sku, location)
    twice (PostgreSQL refuses to update a row twice in one command).

    ``adopt`` (the configured sources, for a source's load: its whole answer for the SKU): a row of
    a source none of them is (removed, or renamed) is taken whatever its sequence, so a location
    another source now reports counts as that source's."""
    stmt = insert(conn, levels)
    newer = stmt.excluded.sequence > levels.c.sequence
    if same_sequence:
        newer = or_(newer, and_(stmt.excluded.sequence == levels.c.sequence, or_(
            stmt.excluded.available != levels.c.available, stmt.excluded.on_hand != levels.c.on_hand)))
    if adopt:  # one bind per name, not an expanding IN: the statement is executed many
        newer = or_(newer, and_(levels.c.source.is_not(None), *(levels.c.source != name for name in adopt)))
    return stmt.on_conflict_do_update(
        index_elements=[levels.c.sku, levels.c.location],
        set_={"on_hand": stmt.excluded.on_hand, "available": stmt.excluded.available,
              "sequence": stmt.excluded.sequence, "updated_at": stmt.excluded.updated_at,
              "received_at": stmt.excluded.received_at, "visible_at": stmt.excluded.visible_at,
              "source": func.coalesce(stmt.excluded.source, levels.c.source)},
        where=newer,
    )
