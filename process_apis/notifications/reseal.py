"""Seal every webhook signing secret under the current data key, at start (``hub serve``).

A database made before sealing holds plaintext secrets; after a key rotation, rows are sealed
under the older key. ``reseal`` opens each one and writes it under the current key, one
compare-and-set UPDATE per changed row (a rotation by a partner in between wins; the row is
already sealed then). A previous secret whose overlap has ended signs nothing more: it is
cleared rather than opened. A row that no key here opens stops it with ``DataKeyError``: a hub
started with a wrong or lost key refuses to start instead of failing every delivery. In the
sandbox (``strict=False``) such a row is left as it is and counted instead: a sandbox on a shared
database (a PostgreSQL sandbox keeps its key in the working directory: two directories, two keys)
still starts, and only those subscriptions' deliveries wait for their key.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from process_apis.notifications.repository import utc
from shared.db.tables import webhook_subscriptions as subs
from shared.sealing import DataKeyError, DataKeys, sealed_kid


class Resealed(NamedTuple):
    changed: int
    unreadable: int
    """Rows left as they were: no key here opens them (``strict=False`` only)."""


async def reseal(engine: AsyncEngine, keys: DataKeys, *, strict: bool = True) -> Resealed:
    """Every secret (and previous secret) not sealed under the current key, sealed under it."""
    now = datetime.now(UTC)
    async with engine.connect() as conn:
        rows = (await conn.execute(select(subs.c.id, subs.c.secret, subs.c.previous_secret,
                                          subs.c.previous_secret_until))).all()
    changed = unreadable = 0
    for row in rows:
        stale = [(name, value) for name, value in (("secret", row.secret), ("previous_secret", row.previous_secret))
                 if value is not None and sealed_kid(value) != keys.current]
        if not stale:
            continue
        ended = (utc(row.previous_secret_until) or now) <= now
        try:
            new = {name: None if name == "previous_secret" and ended else keys.reseal(value, row.id)
                   for name, value in stale}
        except DataKeyError:
            if strict:
                raise
            unreadable += 1
            continue
        async with engine.begin() as conn:
            done = await conn.execute(update(subs).where(subs.c.id == row.id, *(
                getattr(subs.c, name) == value for name, value in stale)).values(**new))
        changed += done.rowcount
    return Resealed(changed, unreadable)
