"""Inventory propagation lag: from the hub receiving a stock report to checkout seeing it, and
(when the storefront push is wired) to the storefront having it.

To checkout: each ``stock_levels`` row keeps its last report's ``received_at`` (when the hook
queued it) and ``visible_at`` (applied, the SKU's cached answers dropped). The samples are the
newest ``SAMPLE`` rows made visible in the last hour, read from the database so every process
and instance answers alike. One row per (sku, location): a SKU reported ten times in the hour
counts once, with its latest report; that keeps the sample bounded without pruning.

To the storefront: whatever a ``StorefrontLag`` provider answers (the push's own record);
without one the figure is ``null`` with the status ``not_measured``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.db.tables import stock_levels
from shared.messaging.outbox import as_utc

SAMPLE = 1000
"""At most this many of the hour's newest samples."""
WINDOW = timedelta(hours=1)


class StorefrontLag(Protocol):
    """Milliseconds from receipt to the storefront having it, for stock pushed since ``since``
    (at most ``SAMPLE`` of the newest); read on ``conn``, the flows view's connection."""

    async def __call__(self, conn: AsyncConnection, since: datetime) -> Sequence[float]: ...


def percentiles(samples: Sequence[float]) -> tuple[float | None, float | None]:
    """(p50, p95) by nearest rank, to three decimals; (None, None) when there are no samples."""
    ordered = sorted(samples)
    if not ordered:
        return None, None
    return tuple(round(ordered[max(math.ceil(q * len(ordered)) - 1, 0)], 3) for q in (0.5, 0.95))  # type: ignore[return-value]


async def checkout_samples(conn: AsyncConnection, since: datetime) -> list[float]:
    """Milliseconds from receipt to checkout-visible of the newest reports made visible since ``since``."""
    rows = (await conn.execute(
        select(stock_levels.c.received_at, stock_levels.c.visible_at)
        .where(stock_levels.c.visible_at >= since, stock_levels.c.received_at.is_not(None))
        .order_by(stock_levels.c.visible_at.desc()).limit(SAMPLE))).all()
    return [max((as_utc(seen) - as_utc(got)).total_seconds() * 1000, 0.0) for got, seen in rows]


def summary(samples: Sequence[float] | None) -> tuple[dict[str, Any] | None, str]:
    """The figure (``{"p50", "p95", "samples"}`` or None) and its status."""
    if samples is None:
        return None, "not_measured"
    p50, p95 = percentiles(samples)
    if p95 is None:
        return None, "no_samples"
    return {"p50": p50, "p95": p95, "samples": len(samples)}, "measured"


async def inventory_lag(conn: AsyncConnection, now: datetime, storefront: StorefrontLag | None) -> dict[str, Any]:
    """The business view: ``to_checkout_ms`` and ``to_storefront_ms`` over the last hour, each
    ``{"p50", "p95", "samples"}`` or null, with a status each (``measured``, ``no_samples``:
    nothing moved in the hour, ``not_measured``: no storefront push wired)."""
    since = now - WINDOW
    checkout, checkout_status = summary(await checkout_samples(conn, since))
    shop, shop_status = summary(list(await storefront(conn, since)) if storefront is not None else None)
    return {"window": "1h", "to_checkout_ms": checkout, "to_storefront_ms": shop,
            "status": {"to_checkout": checkout_status, "to_storefront": shop_status}}
