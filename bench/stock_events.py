"""A burst of signed stock events through the whole hub (issue 11): webhook -> projection -> cache.

Starts ``hub serve`` (``--workers`` processes of the ``all`` role, default 1, port ``--port``, default 9181; each
runs the hooks and a worker of ``--worker-concurrency`` messages, default 512) on a fresh
PostgreSQL database and Redis (``--redis``, Redis Streams as the bus), then POSTs ``--events`` signed events (default
10,000) over 500 SKUs to ``/hooks/wms`` and ``/hooks/pos`` from ``--concurrency`` clients,
while a poller reads the storefront product answer of three watched SKUs (they exist in
the sandbox's ERP; their DC-EAST events carry rising quantities). Prints:

- accepted events/s: first POST to the last 200;
- applied events/s: first POST until every (sku, location) of the burst holds its newest
  sequence in ``stock_levels`` and no ``stock.changed`` (or ``.batch``) message is left in the outbox;
- change-to-visible p50/p99: from a watched event's POST to the first storefront answer
  showing that quantity or a newer one;
- the same-run reference: raw Redis XADD calls/s at the same concurrency (one per event,
  what the transport costs at the very least), and the interpreter.

``HUB_BENCH_PROFILE=FILE``: py-spy's raw samples of the hub (pip install py-spy).
Bounded: the events given (at most 50,000), 120 s for the hub to apply them; 127.0.0.1 only.

    .venv/bin/python bench/stock_events.py [--events 10000] [--redis redis://127.0.0.1:6379/5]
        [--workers 2] [--worker-concurrency 512] [--per-delivery 50]

``--per-delivery N``: N events per signed request (default 1, one event per body); more,
consecutive events of one source go as a batched delivery ``{"events": [...]}`` (at most 500),
whose stock reports the hub queues and applies as one message.

With ``--workers 2`` each process also runs its own in-memory sandbox (the backends the bench
does not measure); the storefront pushes of each process then reach its own sandbox shop, so
this bench does not read the shop (``bench/storefront_push.py`` does, in one process).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import platform
import secrets
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import asyncpg
import redis.asyncio as aioredis

ROOT = Path(__file__).resolve().parent.parent
PORT, ADMIN = 9181, "bench-admin-key-0123456789"
SECRETS = {"wms": "sandbox-wms-secret", "pos": "sandbox-pos-secret"}  # the sandbox defaults
WATCHED = ["SKU-1001", "SKU-1002", "SKU-1003"]
BASE = 10_000_000  # above any sequence the sandbox's own stock started with


def burst(n: int) -> list[tuple[str, dict, str | None, int]]:
    """(source, event, watched sku or None, quantity) per event: 500 SKUs, DC-EAST/DC-WEST by the
    WMS and STORE-NYC by the POS; sequences rise per (sku, location)."""
    skus = WATCHED + [f"SKU-B{i:04d}" for i in range(500 - len(WATCHED))]
    out = []
    for j in range(n):
        sku = skus[j % len(skus)]
        location = "DC-EAST" if sku in WATCHED else ("DC-EAST", "DC-WEST", "STORE-NYC")[(j // len(skus)) % 3]
        seq, qty = BASE + j, 1000 + j
        if location == "STORE-NYC":
            body = {"id": f"e{j}", "type": "STOCK_CHANGE", "timestamp": "2026-01-01T00:00:00Z", "storeCode": location,
                    "productSku": sku, "quantity": qty, "seq": seq}
            out.append(("pos", body, None, qty))
        else:
            body = {"event_type": "inventory.adjusted", "payload": {"item_code": sku, "warehouse_id": location,
                                                                    "on_hand": qty, "available": qty, "sequence": seq}}
            out.append(("wms", body, sku if sku in WATCHED else None, qty))
    return out


def deliveries(events: list, per: int) -> list[tuple[str, bytes, list[tuple[str, int]]]]:
    """(source, signed body, [(watched sku, quantity)]) per request: ``per`` 1 is one event per body
    as before; more, consecutive events of one source batched ``{"events": [...]}`` up to ``per``."""
    out: list[tuple[str, bytes, list[tuple[str, int]]]] = []
    group: list = []
    for event in events + [None]:
        if group and (event is None or event[0] != group[0][0] or len(group) == per):
            body = group[0][1] if per == 1 else {"events": [e[1] for e in group]}
            out.append((group[0][0], json.dumps(body).encode(), [(w, q) for _, _, w, q in group if w]))
            group = []
        if event is not None:
            group.append(event)
    return out


def newest(events: list) -> dict[tuple[str, str], int]:
    final: dict[tuple[str, str], int] = {}
    for source, d, _, _ in events:
        if source == "pos":
            final[(d["productSku"], d["storeCode"])] = d["seq"]
        else:
            p = d["payload"]
            final[(p["item_code"], p["warehouse_id"])] = p["sequence"]
    return final


async def start_hub(db_url: str, redis_url: str, workers: int = 1, concurrency: int = 512,
                    port: int = PORT) -> subprocess.Popen:
    env = {**os.environ, "HUB_DATABASE_URL": db_url, "HUB_REDIS_URL": redis_url, "HUB_SANDBOX": "1",
           "HUB_WORKERS": str(workers), "HUB_WORKER_CONCURRENCY": str(concurrency),
           "HUB_PORT": str(port), "HUB_BOOTSTRAP_ADMIN_KEY": ADMIN, "HUB_LOG_LEVEL": "warning",
           "HUB_OUTBOX_POLL_SECONDS": "0.2", "HUB_PLANS": '{"bench": {"rate_per_second": 1000000, "burst": 1000000}}'}
    hub = subprocess.Popen([str(ROOT / ".venv/bin/hub"), "serve"], env=env, cwd=ROOT, start_new_session=True,
                           stdout=subprocess.DEVNULL, stderr=open(f"/tmp/stock_events_hub_{port}.log", "w"))
    async with aiohttp.ClientSession() as s:
        for _ in range(300):
            try:
                async with s.get(f"http://127.0.0.1:{port}/health/ready") as r:
                    if r.status == 200:
                        return hub
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)  # polling readiness, bounded
    hub.kill()
    raise SystemExit(f"the hub did not start: see /tmp/stock_events_hub_{port}.log")


async def run(args: argparse.Namespace) -> None:
    name = f"{args.db_prefix}_{secrets.token_hex(3)}"
    admin = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    db_url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    hub = await start_hub(db_url, args.redis, args.workers, args.worker_concurrency, args.port)
    HUB_SESSION[0] = hub.pid
    if os.environ.get("HUB_BENCH_PROFILE"):  # py-spy's samples of the hub during the burst
        subprocess.Popen([str(ROOT / ".venv/bin/py-spy"), "record", "-r", "200", "-f", "raw", "-d", "60", "--subprocesses",
                          "-o", os.environ["HUB_BENCH_PROFILE"], "--pid", str(hub.pid)], stdout=subprocess.DEVNULL)
    try:
        await measure(args, name)
    finally:
        os.killpg(hub.pid, signal.SIGTERM)
        try:
            hub.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(hub.pid, signal.SIGKILL)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def measure(args: argparse.Namespace, name: str) -> None:
    base = f"http://127.0.0.1:{args.port}"
    events = burst(args.events)
    final = newest(events)
    requests = deliveries(events, args.per_delivery)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=args.concurrency + 8)) as s:
        async with s.post(base + "/admin/v1/keys", headers={"X-API-Key": ADMIN},
                          json={"consumer": "bench", "scopes": ["catalog:read"], "plan": "bench"}) as r:
            key = (await r.json())["key"]
        for sku in WATCHED:  # loads them into the book
            async with s.get(f"{base}/v1/storefront/products/{sku}", headers={"X-API-Key": key}) as r:
                assert r.status == 200, await r.text()
        sent: dict[str, list[tuple[float, int]]] = {sku: [] for sku in WATCHED}
        seen: dict[str, list[tuple[float, int]]] = {sku: [] for sku in WATCHED}
        done = asyncio.Event()

        async def poll(sku: str) -> None:
            while not done.is_set():
                async with s.get(f"{base}/v1/storefront/products/{sku}", headers={"X-API-Key": key}) as r:
                    body = await r.json()
                at = next((loc["available"] for loc in body.get("locations", []) if loc["location"] == "DC-EAST"), 0)
                seen[sku].append((time.perf_counter(), at))
                await asyncio.sleep(0.05)  # each watched SKU's answer read 20 times a second

        queue = iter(requests)
        statuses: dict[int, int] = {}

        async def post() -> None:
            for source, body, watched in queue:
                sig = "sha256=" + hmac.new(SECRETS[source].encode(), body, hashlib.sha256).hexdigest()
                for sku, qty in watched:
                    sent[sku].append((time.perf_counter(), qty))
                async with s.post(f"{base}/hooks/{source}", data=body,
                                  headers={"X-Signature": sig, "Content-Type": "application/json"}) as r:
                    statuses[r.status] = statuses.get(r.status, 0) + 1
                    await r.read()

        pollers = [asyncio.create_task(poll(sku)) for sku in WATCHED]
        started, cpu = time.perf_counter(), hub_cpu()
        await asyncio.gather(*(post() for _ in range(args.concurrency)))
        accepted = time.perf_counter() - started
        applied = await wait_applied(name, final, started)
        cpu = hub_cpu() - cpu
        await asyncio.sleep(0.5)  # a last look by the pollers at the settled answers
        done.set()
        await asyncio.gather(*pollers)
    lags = [lag for sku in WATCHED for lag in visible_lags(sent[sku], seen[sku])]
    xadd = await xadd_reference(args.redis, len(events), args.concurrency)
    print(f"python {platform.python_version()} ({platform.python_implementation()}), hub on PostgreSQL + "
          f"Redis Streams: hub serve --workers {args.workers} (all role: hooks + worker per process), "
          f"HUB_WORKER_CONCURRENCY={args.worker_concurrency}; {len(events)} events over 500 SKUs in "
          f"{len(requests)} signed requests (--per-delivery {args.per_delivery}), {args.concurrency} clients; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"accepted: {len(events) / accepted:,.0f} events/s, {len(requests) / accepted:,.0f} requests/s "
          f"({accepted:.2f} s; statuses {statuses})")
    if applied is None:
        print("applied: NOT all applied within 120 s")
    else:
        print(f"applied (projection newest everywhere, outbox empty): {len(events) / applied:,.0f} events/s "
              f"({applied:.2f} s from the first POST)")
    if lags:
        lags.sort()
        p99 = lags[min(len(lags) - 1, int(len(lags) * 0.99))]
        print(f"change-to-visible in the storefront answer: p50 {statistics.median(lags) * 1000:.0f} ms, "
              f"p99 {p99 * 1000:.0f} ms, max {lags[-1] * 1000:.0f} ms over {len(lags)} watched changes")
    print(f"the hub's processes used {cpu:.1f} CPU s from the first POST to the last apply "
          f"({cpu / len(events) * 1000:.2f} ms per event, polling included); load average at the end "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"reference, same run: raw Redis XADD from {args.concurrency} clients: {xadd:,.0f} calls/s")


def hub_cpu() -> float:
    """CPU seconds of every process of the hub's session so far (from /proc)."""
    total = 0
    for pid in os.listdir("/proc"):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if pid.isdigit() and int(fields[3]) == HUB_SESSION[0]:  # the session id
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


HUB_SESSION = [0]


def visible_lags(sent: list[tuple[float, int]], seen: list[tuple[float, int]]) -> list[float]:
    """For each watched change, the first answer after it was sent that shows it or a newer one."""
    lags, i = [], 0
    for at, qty in sorted(sent):
        while i < len(seen) and (seen[i][0] < at or seen[i][1] < qty):
            i += 1
        if i < len(seen):
            lags.append(seen[i][0] - at)
    return lags


async def wait_applied(name: str, final: dict[tuple[str, str], int], started: float) -> float | None:
    conn = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:5432/{name}")
    try:
        while time.perf_counter() - started < 120:
            rows = await conn.fetch("SELECT sku, location, sequence FROM stock_levels WHERE sequence >= $1", BASE)
            have = {(r["sku"], r["location"]): r["sequence"] for r in rows}
            left = await conn.fetchval("SELECT count(*) FROM outbox WHERE topic LIKE 'stock.changed%'")
            if left == 0 and all(have.get(k) == v for k, v in final.items()):
                return time.perf_counter() - started
            await asyncio.sleep(0.05)  # polling the projection, bounded by the 120 s
        return None
    finally:
        await conn.close()


async def xadd_reference(redis_url: str, n: int, concurrency: int) -> float:
    redis = aioredis.Redis.from_url(redis_url, max_connections=concurrency + 8)
    stream = f"bench:xadd:{secrets.token_hex(3)}"
    left = iter(range(n))

    async def one() -> None:
        for i in left:
            await redis.xadd(stream, {"payload": b'{"sku":"SKU-B0001","n":%d}' % i})

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(concurrency)))
    rate = n / (time.perf_counter() - started)
    await redis.delete(stream)
    await redis.aclose()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--workers", type=int, default=1, help="hub processes (HUB_WORKERS)")
    parser.add_argument("--worker-concurrency", type=int, default=512, help="HUB_WORKER_CONCURRENCY")
    parser.add_argument("--port", type=int, default=PORT, help="the hub's port on 127.0.0.1")
    parser.add_argument("--db-prefix", default="stock_bench", help="the bench database's name prefix (dropped after)")
    parser.add_argument("--per-delivery", type=int, default=1,
                        help="events per signed request (1: one event per body; more: a batched delivery, at most 500)")
    args = parser.parse_args()
    args.events = min(args.events, 50_000)
    args.per_delivery = max(1, min(args.per_delivery, 500))
    sys.path.insert(0, str(ROOT))
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
