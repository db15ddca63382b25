"""``hub_inventory_lag_p95_seconds{to}``: the inventory propagation p95 of the last hour, read
from the database at scrape time by every role that has one, so any role an operator scrapes
answers the same figure as ``/admin/v1/flows`` (the same ``inventory_lag`` over the same rows).

Rendered by the scraped process only (a ``live`` family, see ``shared.metrics``): a role's
workers never add it up. A figure with no samples in the hour, or a database that did not
answer, leaves its series out rather than repeat a stale value.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Callable

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy.ext.asyncio import AsyncEngine

from process_apis.ops.lag import StorefrontLag, inventory_lag
from shared.db.engine import reading
from shared.messaging.outbox import utcnow

NAME = "hub_inventory_lag_p95_seconds"
HELP = ("Stock propagation p95 over the last hour, from the hub receiving a stock report to checkout-visible "
        "(to=checkout) or to the storefront having it (to=storefront)")


class InventoryLagGauge:
    def __init__(self, engine: AsyncEngine, storefront: StorefrontLag | None, *, cache_seconds: float = 2.0,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self._engine, self._storefront, self._cache_seconds, self._clock = engine, storefront, cache_seconds, clock
        self._lag: dict[str, Any] | None = None
        self._read_at = float("-inf")

    async def refresh(self) -> None:
        """Read the figures again, at most every ``cache_seconds`` (scrapes of several workers)."""
        if time.monotonic() - self._read_at < self._cache_seconds:
            return
        self._lag = None
        async with reading(self._engine) as conn:
            self._lag = await inventory_lag(conn, self._clock(), self._storefront)
        self._read_at = time.monotonic()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(NAME, HELP, labels=("to",))
        for to in ("checkout", "storefront"):
            figure = (self._lag or {}).get(f"to_{to}_ms")
            if figure:
                family.add_metric((to,), figure["p95"] / 1000)
        yield family
