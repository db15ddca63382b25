"""Storefront push: a burst of stock reports over 500 SKUs with the shop throttled, then the time
until the Shopify sandbox shows the last value of every (sku, location).

    .venv/bin/python bench/storefront_push.py [--events 10000] [--skus 500] [--throttle-seconds 3]
        [--rest] [--max-seconds 60] [--database-url postgresql+asyncpg://127.0.0.1/test_bench]

In one process, nothing leaves it: the Shopify sandbox app behind ``httpx.ASGITransport``, the
real adapter (guard, classifier, VendorHttp), the stock book and inventory sync on SQLite in a
temporary directory (or the PostgreSQL database given, which must exist and be empty), the
pusher running as it does in the hub (woken after each applied report, pacing itself by the
shop's answers). The reports are applied as the inventory sync's worker applies them, one
transaction each, out of order and repeated. The sandbox's throttle fault (429, Retry-After
1.0) is on for the first ``--throttle-seconds`` of the burst (0: off); the cost bucket
throttles by itself. ``--rest`` pushes one level per REST call (``inventory_levels/set``)
instead of GraphQL batches. Bounded: stops after ``--max-seconds`` past the burst, converged
or not, and prints how far it got.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx
import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from process_apis.inventory.stock import StockBook  # noqa: E402
from process_apis.inventory.sync import InventorySync  # noqa: E402
from process_apis.storefront import levels  # noqa: E402
from process_apis.storefront.drift import lag_samples  # noqa: E402
from process_apis.storefront.pusher import StorefrontPusher  # noqa: E402
from shared.db.engine import create_engine, reading  # noqa: E402
from shared.db.migrate import upgrade  # noqa: E402
from shared.messaging.outbox import Message, utcnow  # noqa: E402
from shared.models import StockChanged  # noqa: E402
from shared.resilience import Guard, RetryPolicy  # noqa: E402
from system_apis.sandbox.app import create_sandbox_app  # noqa: E402
from system_apis.sandbox.config import SandboxConfig  # noqa: E402
from system_apis.shopify.client import ShopifyHttpAdapter, classify  # noqa: E402
from system_apis.vendor_http import VendorHttp  # noqa: E402

LOCATIONS = ("DC-EAST", "DC-WEST")


async def main(args: argparse.Namespace, url: str) -> None:
    app = create_sandbox_app(SandboxConfig(autoship_seconds=0))
    shop = app.state.sandbox.backends["shopify"]
    transport = httpx.ASGITransport(app=app)
    client = httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1/sandbox/shopify",
                               headers={"X-Shopify-Access-Token": "shpat_bench"}, timeout=5.0)
    control = httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1")
    adapter = ShopifyHttpAdapter(VendorHttp("shopify", client, Guard("shopify", policy=RetryPolicy()), classify))
    engine = create_engine(url)
    book = StockBook(engine, [], on_change=levels.mark)
    pusher = StorefrontPusher(engine, adapter, levels_per_call=1 if args.rest else 250)
    sync = InventorySync(engine, book, on_applied=lambda _skus: _wake(pusher), on_book_changed=levels.mark)

    rng = random.Random(7)
    truth: dict[tuple[str, str], tuple[int, int]] = {}
    events = []
    for n in range(args.events):
        key = (f"BENCH-{rng.randrange(args.skus):04d}", rng.choice(LOCATIONS))
        seq = n // 3 + rng.randrange(3)  # neighbours out of order, some repeated
        qty = rng.randrange(0, 500)
        events.append(StockChanged(sku=key[0], location=key[1], on_hand=qty, available=qty, sequence=seq + 1))
        if key not in truth or seq + 1 > truth[key][0]:
            truth[key] = (seq + 1, qty)
    want = {key: qty for key, (_, qty) in truth.items()}

    pusher.start()
    throttled = args.throttle_seconds > 0
    if throttled:
        await control.put("/sandbox/shopify/faults", json={"throttle": True})
    started = time.monotonic()
    for n, change in enumerate(events):
        await sync.apply(Message(id=str(n), topic="stock.changed", key=change.sku,
                                 payload=msgspec.json.encode(change), attempts=1, first_attempt_at=utcnow()))
        if throttled and time.monotonic() - started >= args.throttle_seconds:
            await control.delete("/sandbox/shopify/faults")
            throttled = False
    burst = time.monotonic() - started
    burst_ended = utcnow()
    if throttled:
        await control.delete("/sandbox/shopify/faults")
    calls_in_burst = pusher.calls

    def shown() -> int:
        return sum(1 for (sku, loc), qty in want.items()
                   if (lv := shop._levels.get((sku, loc))) is not None and lv.available == qty)

    converged = None
    while time.monotonic() - started - burst < args.max_seconds:
        if shown() == len(want):
            converged = time.monotonic() - started - burst
            break
        await asyncio.sleep(0.02)
    await pusher.stop()
    async with reading(engine) as conn:
        lags = sorted(await lag_samples(conn, burst_ended - timedelta(hours=1), limit=100_000))
    print(f"events {args.events} over {args.skus} SKUs x {len(LOCATIONS)} locations "
          f"({len(want)} levels), mode {'REST, 1 level a call' if args.rest else 'GraphQL, 250 levels a call'}, "
          f"shop throttled for the first {args.throttle_seconds:.1f} s of the burst")
    print(f"burst: {burst:.2f} s, {args.events / burst:,.0f} events/s applied (book + mark, one transaction each)")
    print(f"set calls: {calls_in_burst} during the burst, {pusher.calls} in all")
    if converged is not None:
        print(f"shop converged {converged:.2f} s after the burst (every level shows the newest value)")
    else:
        got = shown()
        rate = got / (burst + args.max_seconds)
        print(f"NOT converged {args.max_seconds:.0f} s after the burst: {got}/{len(want)} levels right; "
              f"at that pace all would take about {len(want) / max(rate, 1e-9):,.0f} s")
    if lags:
        p95 = lags[max(int(len(lags) * 0.95) - 1, 0)]
        print(f"report-to-shop lag of the shown values: p50 {statistics.median(lags):.2f} s, p95 {p95:.2f} s, "
              f"max {lags[-1]:.2f} s ({len(lags)} samples)")
    for c in (client, control):
        await c.aclose()
    await app.state.sandbox.aclose()
    await engine.dispose()


def _wake(pusher: StorefrontPusher) -> asyncio.Future:
    pusher.wake()
    future: asyncio.Future = asyncio.get_running_loop().create_future()
    future.set_result(None)
    return future


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--skus", type=int, default=500)
    parser.add_argument("--throttle-seconds", type=float, default=3.0)
    parser.add_argument("--rest", action="store_true")
    parser.add_argument("--max-seconds", type=float, default=60.0)
    parser.add_argument("--database-url", default=None)
    options = parser.parse_args()
    options.events, options.max_seconds = min(options.events, 100_000), min(options.max_seconds, 600.0)
    with tempfile.TemporaryDirectory() as folder:
        database = options.database_url or f"sqlite+aiosqlite:///{folder}/bench.db"
        upgrade(database)
        asyncio.run(main(options, database))
