"""Benchmark: the journey look-up (``GET /admin/v1/journeys?ref=``) with 1,000,000 orders on PostgreSQL.

Not a test: it prints numbers. It makes a fresh database on 127.0.0.1, migrates it,
fills the real tables server-side (``generate_series``; no API calls): 1,000,000
shipped orders each with a channel ref, an ERP number, a fulfilment id, a shipment
and tracking number and four history entries, a PO number on every fourth, three
message outcomes each (``journey_steps``), a return on every twentieth, a Shopify
webhook id on every tenth; then times look-ups through ``JourneyService.find`` (what
the admin route calls, in process, over the pool's asyncpg connections) for random
identifiers of each kind, and drops the database.

Usage: .venv/bin/python bench/journeys.py [orders=1000000] [lookups=1000]
Env: HUB_BENCH_POSTGRES (default postgresql://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import asyncio
import os
import platform
import random
import statistics
import sys
import time

import asyncpg

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from process_apis.journeys.service import JourneyService  # noqa: E402
from shared.db.engine import create_engine  # noqa: E402
from shared.db.migrate import upgrade  # noqa: E402

ADMIN_DSN = os.environ.get("HUB_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")

FILL = [
    ("orders", """
INSERT INTO orders (order_id, consumer, customer_id, channel, channel_order_ref, po_number, business_key, currency,
                    total, status, erp_order_number, fulfilment_id, lines, ship_to, payment, hold_reason,
                    created_at, updated_at)
SELECT 'ord_' || lpad(to_hex(i), 26, '0'), 'bench', 'CUST-' || (i % 5000), CASE WHEN i % 4 = 0 THEN 'partner'
       ELSE 'storefront' END, 'WEB-' || i, CASE WHEN i % 4 = 0 THEN 'PO-' || i END, NULL, 'USD', '198.00',
       'shipped', 'SO-' || i, 'FR-' || i, '[{"sku": "SKU-1001", "quantity": 2}]'::json, NULL, NULL, NULL,
       now() - i * interval '1 second', now()
  FROM generate_series(1, $1) AS i"""),
    ("order_history", """
INSERT INTO order_history (order_id, status, at, detail, trace_id)
SELECT 'ord_' || lpad(to_hex(i), 26, '0'), s.status, now() - i * interval '1 second' + s.n * interval '1 minute',
       NULL, md5(i::text)
  FROM generate_series(1, $1) AS i,
       (VALUES (0, 'accepted'), (1, 'posted'), (2, 'released'), (3, 'shipped')) AS s(n, status)"""),
    ("shipments", """
INSERT INTO shipments (order_id, shipment_id, carrier, tracking_number, shipped_at, lines)
SELECT 'ord_' || lpad(to_hex(i), 26, '0'), 'SHP-' || i, 'UPS', '1Z' || i, now(),
       '[{"sku": "SKU-1001", "quantity": 2}]'::json
  FROM generate_series(1, $1) AS i"""),
    ("journey_steps", """
INSERT INTO journey_steps (subject, at, layer, step, outcome, attempts, backend, latency_ms, schema_version,
                           trace_id, message_id, detail)
SELECT 'ord_' || lpad(to_hex(i), 26, '0'), now() - i * interval '1 second' + s.n * interval '1 minute', 'system',
       s.topic, 'done', 1, s.backend, 12.5, 1, md5(i::text), (i * 3 + s.n)::text, NULL
  FROM generate_series(1, $1) AS i,
       (VALUES (0, 'order.accepted', 'erp'), (1, 'order.posted', 'wms'), (2, 'shipment.confirmed', 'wms'))
       AS s(n, topic, backend)"""),
    ("returns", """
INSERT INTO returns (rma_id, order_id, consumer, customer_id, channel, status, currency, refund_amount,
                     refund_status, refund_method, refund_reason, saga_step, credit_memo_id, refund_id, lines,
                     version, created_at, updated_at)
SELECT 'rma_' || lpad(to_hex(i), 26, '0'), 'ord_' || lpad(to_hex(i), 26, '0'), 'bench', 'CUST-' || (i % 5000),
       'storefront', 'authorized', 'USD', '99.00', 'issued', 'card', NULL, 'done', 'CM-' || i, 'RF-' || i,
       '[]'::json, 1, now(), now()
  FROM generate_series(20, $1, 20) AS i"""),
    ("return_history", """
INSERT INTO return_history (rma_id, status, refund_status, at, detail, trace_id)
SELECT 'rma_' || lpad(to_hex(i), 26, '0'), 'authorized', 'pending', now(), NULL, md5(i::text)
  FROM generate_series(20, $1, 20) AS i"""),
    ("journey_refs", """
INSERT INTO journey_refs (ref, subject, kind, at)
SELECT 'hook-' || i, 'WEB-' || i, 'shopify_webhook', now() FROM generate_series(10, $1, 10) AS i"""),
]

KINDS = {
    "order id": lambda i: f"ord_{i:026x}",
    "channel ref": lambda i: f"WEB-{i}",
    "PO number": lambda i: f"PO-{i - i % 4 or 4}",
    "ERP number": lambda i: f"SO-{i}",
    "shipment id": lambda i: f"SHP-{i}",
    "tracking number": lambda i: f"1Z{i}",
    "RMA id": lambda i: f"rma_{max(20, i - i % 20):026x}",
    "webhook id": lambda i: f"hook-{max(10, i - i % 10)}",
    "unknown": lambda i: f"NOPE-{i}",
}


async def fill(dsn: str, orders: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SET synchronous_commit = off")
        for table, sql in FILL:
            started = time.perf_counter()
            await conn.execute(sql, orders)
            print(f"  {table}: {time.perf_counter() - started:.1f} s", flush=True)
        started = time.perf_counter()
        await conn.execute("VACUUM ANALYZE")
        print(f"  vacuum analyze: {time.perf_counter() - started:.1f} s", flush=True)
    finally:
        await conn.close()


async def measure(url: str, orders: int, lookups: int) -> None:
    engine = create_engine(url, pool_size=4, pool_overflow=0)
    service = JourneyService(engine)
    rng = random.Random(12)
    kinds = list(KINDS)
    try:
        for _ in range(50):  # warm the pool and the prepared statements; not counted
            await service.find(KINDS["order id"](rng.randint(1, orders)))
        times: dict[str, list[float]] = {k: [] for k in kinds}
        for n in range(lookups):
            kind = kinds[n % len(kinds)]
            ref = KINDS[kind](rng.randint(1, orders))
            started = time.perf_counter()
            found = await service.find(ref)
            times[kind].append((time.perf_counter() - started) * 1000)
            assert (not found.items) if kind == "unknown" else found.items, (kind, ref)
    finally:
        await engine.dispose()
    every = sorted(t for ts in times.values() for t in ts)
    print(f"{lookups} look-ups, {orders:,} orders, PostgreSQL, in process (JourneyService.find), "
          f"{platform.python_implementation()} {platform.python_version()} {sys.executable}")
    print(f"  all:             p50 {_pct(every, 50):6.2f} ms  p95 {_pct(every, 95):6.2f} ms  "
          f"p99 {_pct(every, 99):6.2f} ms  max {every[-1]:6.2f} ms")
    for kind, ts in times.items():
        ts.sort()
        print(f"  {kind:16} p50 {_pct(ts, 50):6.2f} ms  p95 {_pct(ts, 95):6.2f} ms  (n={len(ts)}, "
              f"mean {statistics.fmean(ts):.2f} ms)")


def _pct(values: list[float], p: int) -> float:
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


async def main() -> None:
    orders = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    lookups = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    name = f"hub_bench_journeys_{os.getpid()}"
    admin = await asyncpg.connect(ADMIN_DSN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    dsn = ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}"
    try:
        url = dsn.replace("postgresql://", "postgresql+asyncpg://")
        await asyncio.to_thread(upgrade, url)
        print(f"filling {name} with {orders:,} orders", flush=True)
        started = time.perf_counter()
        await fill(dsn, orders)
        print(f"  filled in {time.perf_counter() - started:.1f} s", flush=True)
        await measure(url, orders, lookups)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
