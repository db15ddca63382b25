"""Put the chaos run's mixed load on a running hub and watch its flows move (README, "Deployment").

    .venv/bin/python bench/cluster_load.py --url http://127.0.0.1:8100 --rate 5 --seconds 120

Against a hub in sandbox mode (``hub cluster up``, or ``./hub`` alone on 8080): orders from four
channels (storefront checkout, the sandbox shop's Shopify webhooks, the partner API, EDI 850s),
product reads that hit and miss the cache, baskets and signed WMS stock events
(``bench/chaos/load.py``, without the faults and the returns). It makes its own keys with the admin key
(``--admin-key``, default ``$HUB_BOOTSTRAP_ADMIN_KEY``), gives the sandbox stock and credit for
the run, and every 5 s prints what the hub's flows counted (``GET /admin/v1/flows``, the ops
console's Flows panel: open ``<url>/console`` beside it). Loopback only, bounded by ``--seconds``
(at most 1800); it stops by itself and waits at most ``--drain`` seconds for the orders' flows.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import httpx

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE / "chaos"), str(HERE.parent)]
from load import Keys, Load, Rates  # noqa: E402

SHOWN = ("order_capture", "erp_posting", "wms_release", "shipment", "returns", "inventory_sync", "partner_webhooks")


def loopback(url: str) -> str:
    host = urlsplit(url).hostname or ""
    try:
        local = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = False
    if not local:
        raise SystemExit(f"cluster_load: {url} is not on this machine (loopback only)")
    return url.rstrip("/")


async def keys_for(http: httpx.AsyncClient, url: str, admin: str) -> Keys:
    async def key(*scopes: str, customer: str | None = None) -> str:
        made = await http.post(f"{url}/admin/v1/keys", headers={"X-API-Key": admin}, json={
            "consumer": f"load-{uuid.uuid4().hex[:6]}", "scopes": list(scopes), "customer": customer})
        if made.status_code != 201:
            raise SystemExit(f"cluster_load: making a key answered {made.status_code}: {made.text}")
        return made.json()["key"]

    return Keys(web=await key("orders:write", "orders:read", "returns:write", "returns:read", customer="CUST-ACME"),
                partner=await key("orders:write", "orders:read", customer="CUST-ACME"),
                catalog=await key("catalog:read", "customers:any"))


async def stock_and_credit(http: httpx.AsyncClient, url: str) -> None:
    for sku in ("SKU-1001", "SKU-1003"):
        (await http.post(f"{url}/sandbox/wms/stock", json={"sku": sku, "location": "DC-EAST", "on_hand": 10**7})
         ).raise_for_status()
    (await http.put(f"{url}/sandbox/erp/customers/CUST-ACME/credit", json={"credit_limit": "999999999.00"})
     ).raise_for_status()


def flow_line(items: list[dict]) -> str:
    by_flow = {item["flow"]: item.get("counts", {}) for item in items}
    parts = []
    for flow in SHOWN:
        counts = {state: n for state, n in by_flow.get(flow, {}).items() if n}
        if counts:
            parts.append(f"{flow} " + ", ".join(f"{state} {n}" for state, n in sorted(counts.items())))
    return "; ".join(parts) or "no flow counted yet"


async def watch(http: httpx.AsyncClient, url: str, admin: str, load: Load, stop: asyncio.Event) -> None:
    start = time.monotonic()
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), 5.0)
        except TimeoutError:
            pass
        flows = await http.get(f"{url}/admin/v1/flows", headers={"X-API-Key": admin})
        shown = flow_line(flows.json()["items"]) if flows.status_code == 200 else f"flows: {flows.status_code}"
        accepted = sum(len(ids) for ids in load.tally.accepted.values())
        print(f"t={time.monotonic() - start:5.0f} s  sent {sum(load.tally.sent.values())}, accepted {accepted}"
              f"  |  {shown}", flush=True)


async def main(args: argparse.Namespace) -> int:
    url = loopback(args.url)
    if not args.admin_key:
        raise SystemExit("cluster_load: give --admin-key or set HUB_BOOTSTRAP_ADMIN_KEY")
    async with httpx.AsyncClient(timeout=30) as http:
        keys = await keys_for(http, url, args.admin_key)
        await stock_and_credit(http, url)
        r = args.rate
        load = Load(url, url, keys, Rates(orders=r, products=r, baskets=r / 5, stock=r / 10, return_share=0), time.monotonic(),
                    args.seed, edi_control=int(time.time()) % 800_000_000 + 100_000_000)
        print(f"cluster_load: {r:g} orders/s for {args.seconds:g} s against {url}; console: {url}/console", flush=True)
        stop = asyncio.Event()
        watcher = asyncio.create_task(watch(http, url, args.admin_key, load, stop))
        try:
            await asyncio.wait_for(load.run(args.seconds), args.seconds + args.drain)
        finally:
            stop.set()
            await watcher
    refused = load.tally.refused
    print(f"cluster_load: done; {len(refused)} order(s) refused for good" + (f", e.g. {refused[0]}" if refused else ""))
    return 1 if refused else 0


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8100", help="the hub (the cluster's load balancer)")
    parser.add_argument("--admin-key", default=os.environ.get("HUB_BOOTSTRAP_ADMIN_KEY"))
    parser.add_argument("--rate", type=float, default=5.0, help="orders per second over the four channels")
    parser.add_argument("--seconds", type=float, default=120.0, help="how long to offer load (at most 1800)")
    parser.add_argument("--drain", type=float, default=120.0, help="at most this long for retries after the load")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if not 0 < args.rate <= 200 or not 0 < args.seconds <= 1800 or not 0 <= args.drain <= 600:
        parser.error("--rate in (0, 200], --seconds in (0, 1800], --drain in [0, 600]")
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))
