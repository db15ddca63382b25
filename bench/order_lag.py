"""After bench/orders.sh's load: wait until every accepted order is posted and released,
then print the backlog drain time and the lag from accepted to posted (from the
orders' own status history). Reads HUB_DATABASE_URL."""

from __future__ import annotations

import asyncio
import os
import statistics
import time

from sqlalchemy import func, select

from shared.db.engine import create_engine
from shared.db.tables import order_history, orders


async def main() -> None:
    engine = create_engine(os.environ["HUB_DATABASE_URL"])
    started = time.monotonic()
    async with engine.connect() as conn:
        while True:
            counts = dict((await conn.execute(select(orders.c.status, func.count()).group_by(orders.c.status))).all())
            waiting = counts.get("accepted", 0) + counts.get("posted", 0)
            if waiting == 0 or time.monotonic() - started > 300:
                break
            await asyncio.sleep(0.5)
            await conn.rollback()
        rows = (await conn.execute(select(order_history.c.order_id, order_history.c.status, order_history.c.at)
                                   .where(order_history.c.status.in_(["accepted", "posted"])))).all()
    await engine.dispose()
    at: dict[str, dict[str, float]] = {}
    for row in rows:
        at.setdefault(row.order_id, {})[row.status] = row.at.timestamp()
    lags = sorted(v["posted"] - v["accepted"] for v in at.values() if "posted" in v and "accepted" in v)
    print(f"orders by status: {counts}; backlog drained {time.monotonic() - started:.1f} s after the load")
    if lags:
        p99 = lags[min(len(lags) - 1, int(len(lags) * 0.99))]
        print(f"accepted -> posted lag: p50 {statistics.median(lags) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
              f"max {lags[-1] * 1000:.0f} ms over {len(lags)} orders")


if __name__ == "__main__":
    asyncio.run(main())
