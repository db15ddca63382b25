"""The chaos run's evidence after the load: the hub's database, the sandbox vendors' records and
the receiver's log, gathered into a ``plan.Ledger``; and the bounded wait for the flows to drain."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from pathlib import Path

import asyncpg
import httpx

from load import RETRY_SECONDS, Tally
from plan import Ledger


async def _json(client: httpx.AsyncClient, path: str) -> dict:
    response = await client.get(path)
    response.raise_for_status()
    return response.json()


async def shopify_orders(db: asyncpg.Connection, refs: set[str]) -> dict[str, str]:
    """channel_order_ref -> hub order id, of the sandbox shop's orders the hub took."""
    rows = await db.fetch("SELECT order_id, channel_order_ref FROM orders WHERE channel = 'shopify'")
    return {r["channel_order_ref"]: r["order_id"] for r in rows if r["channel_order_ref"] in refs}


async def edi_orders(db: asyncpg.Connection, pos: set[str]) -> dict[str, str]:
    """PO number -> hub order id, of the 850s the hub answered 2xx for."""
    rows = await db.fetch("SELECT order_id, po_number FROM orders WHERE po_number = ANY($1::text[])", list(pos))
    return {r["po_number"]: r["order_id"] for r in rows}


async def pending(db: asyncpg.Connection, tally: Tally) -> dict[str, int]:
    """What the flows still owe: orders not released, refunds not settled, deliveries, outbox."""
    shop = await shopify_orders(db, tally.shopify_refs)
    edi = await edi_orders(db, tally.edi_pos)
    ids = [r["order_id"] for r in await db.fetch("SELECT order_id FROM orders")]  # every order the hub took
    released = await db.fetchval("SELECT count(*) FROM orders WHERE order_id = ANY($1::text[]) AND (status IN "
                                 "('shipped', 'delivered') OR order_id IN (SELECT order_id FROM order_history "
                                 "WHERE status = 'released'))", ids)
    return {
        "orders not released": len(ids) - released,
        "shopify orders not taken": len(tally.shopify_refs) - len(shop),
        "850s without an order": len(tally.edi_pos) - len(edi),
        "refunds pending": await db.fetchval("SELECT count(*) FROM returns WHERE refund_status = 'pending'"),
        "deliveries pending": await db.fetchval("SELECT count(*) FROM webhook_deliveries WHERE status <> 'delivered'"),
        "outbox": await db.fetchval("SELECT count(*) FROM outbox"),
    }


async def drain(dsn: str, tally: Tally, seconds: float, received: Path) -> tuple[float, dict[str, int]]:
    """Poll (bounded) until nothing is owed and the receiver has every delivery; (seconds, last)."""
    started = time.monotonic()
    left: dict[str, int] = {}
    while time.monotonic() - started < seconds:
        try:
            db = await asyncpg.connect(dsn, timeout=5)
            try:
                left = await pending(db, tally)
                delivered = await db.fetchval("SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered'")
            finally:
                await db.close()
            left["not yet received"] = max(0, delivered - len(receiver_ids(received)))
            if not any(left.values()):
                break
        except (OSError, asyncpg.PostgresError) as exc:
            left = {f"database: {exc!r}"[:80]: 1}
        await asyncio.sleep(2.0)  # polling a condition, bounded by the deadline
    return time.monotonic() - started, left


async def stream_entries(redis_url: str) -> dict[str, int]:
    """Entries left in the hub's Redis streams (an entry is deleted once its work is done)."""
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(redis_url)
    try:
        return {k.decode(): n async for k in client.scan_iter("hub:stream:*", _type="stream")
                if (n := await client.xlen(k))}
    finally:
        await client.aclose()


def receiver_ids(path: Path) -> set[str]:
    ids = set()
    for line in path.read_text().splitlines() if path.exists() else []:
        try:
            ids.add(json.loads(line)["webhook_id"])
        except (ValueError, KeyError):
            pass
    return ids


async def ledger(dsn: str, sandbox: str, tally: Tally, received: Path, warm: Tally) -> Ledger:
    """``warm``: the orders placed before the load (the warm-up), left out of every count."""
    out = Ledger(sent=dict(tally.sent))
    db = await asyncpg.connect(dsn, timeout=10)
    try:
        known = {i for ids in warm.accepted.values() for i in ids} | set((await edi_orders(db, warm.edi_pos)).values())
        shop = await shopify_orders(db, tally.shopify_refs)
        edi = await edi_orders(db, tally.edi_pos)
        rows = await db.fetch("SELECT order_id, channel, po_number FROM orders")
        channel_of = {r["order_id"]: "edi" if (r["po_number"] or "").startswith("EDI-") else r["channel"]
                      for r in rows if r["order_id"] not in known}  # every order of the load the hub took
        hub_ids = {r["order_id"] for r in rows}
        out.in_hub = Counter(channel_of.values())
        out.accepted = {c: len(ids) for c, ids in tally.accepted.items()}
        # as the sources saw it: the shop's orders sent, the 850s the hub answered 2xx for
        out.accepted["shopify"], out.accepted["edi"] = len(tally.shopify_refs), len(tally.edi_pos)
        out.lost = sorted({i for c in ("storefront", "partner") for i in tally.accepted[c]} - hub_ids
                          | {f"shop order {r}" for r in tally.shopify_refs - set(shop)}
                          | {f"850 PO {p}" for p in tally.edi_pos - set(edi)})
        seen = ({i for c in ("storefront", "partner") for i in tally.accepted[c]} | set(shop.values())
                | set(edi.values()))
        gave_up = sorted(set(channel_of) - seen)
        if gave_up:
            out.details.append(f"taken by the hub, but its client saw no 2xx in its {RETRY_SECONDS:.0f} s of retries "
                               f"(the same Idempotency-Key, PO or interchange would have answered it): "
                               f"{len(gave_up)}: {', '.join(gave_up[:3])}")
        releases = Counter(r["order_id"] for r in await db.fetch(
            "SELECT order_id FROM order_history WHERE status = 'released'"))
        # released once: its 'released' step once, or shipped by the WMS before the hub recorded the release
        # (the shipment may overtake it: the order goes posted -> shipped; said apart in the details)
        overtaken = {r["order_id"] for r in await db.fetch(
            "SELECT order_id FROM orders WHERE status IN ('shipped', 'delivered') AND order_id = ANY($1::text[]) "
            "AND order_id NOT IN (SELECT order_id FROM order_history WHERE status = 'released')", list(channel_of))}
        out.released = Counter(channel_of[i] for i in channel_of if releases.get(i) == 1 or i in overtaken)
        if overtaken:
            out.details.append(f"shipped with no 'released' step (the WMS's shipment confirmation overtook the "
                               f"hub's record of the release; fulfilment_id left empty): {len(overtaken)}: "
                               + ", ".join(sorted(overtaken)[:5]))
        out.release_duplicates = sorted(i for i, n in releases.items() if n > 1)
        stuck = await db.fetch("SELECT order_id, status, hold_reason, updated_at FROM orders WHERE order_id = "
                               "ANY($1::text[]) AND status NOT IN ('shipped', 'delivered') AND order_id NOT IN "
                               "(SELECT order_id FROM order_history WHERE status = 'released')", list(channel_of))
        out.details += [f"not released: {r['order_id']} ({channel_of[r['order_id']]}) status {r['status']}, hold "
                        f"{r['hold_reason']}, last change {r['updated_at']:%H:%M:%S}" for r in stuck]
        returns = await db.fetch("SELECT rma_id, refund_status FROM returns")
        out.returns_accepted, out.hub_returns = len(tally.returns), len(returns)
        out.returns_lost = sorted(tally.returns - {r["rma_id"] for r in returns})
        out.refunds_issued = sum(1 for r in returns if r["refund_status"] == "issued")
        out.details.append("returns by refund status: " + ", ".join(
            f"{k} {v}" for k, v in Counter(r["refund_status"] for r in returns).items()))
        deliveries = await db.fetch("SELECT webhook_id, status FROM webhook_deliveries")
        out.deliveries = len(deliveries)
        out.delivered = sum(1 for d in deliveries if d["status"] == "delivered")
        got = receiver_ids(received)
        out.received = sum(1 for d in deliveries if d["webhook_id"] in got)
        out.outbox_left = await db.fetchval("SELECT count(*) FROM outbox")
        out.dead_letters = [f"{r['id']} {r['topic']} {r['key']}: {r['reason'][:120]}" for r in await db.fetch(
            "SELECT id, topic, key, reason FROM dead_letters WHERE status = 'open' ORDER BY dead_at")]
    finally:
        await db.close()
    async with httpx.AsyncClient(base_url=sandbox, timeout=60) as client:
        erp = Counter(r["external_ref"] for r in (await _json(client, "/sandbox/erp/sales-orders"))["items"])
        out.posted = Counter(channel_of[i] for i, n in erp.items() if i in channel_of and n == 1)
        out.erp_duplicates = sorted(i for i, n in erp.items() if n > 1)
        out.erp_strangers = sorted(set(erp) - hub_ids)
        refunds = (await _json(client, "/sandbox/payments/refunds"))["items"]
        out.refunds_at_provider = len(refunds)
        by_auth = Counter(r["authorization_id"] for r in refunds)
        out.refund_duplicates = sorted(a for a, n in by_auth.items() if n > 1)
        memos = Counter(m["external_ref"] for m in (await _json(client, "/sandbox/erp/credit-memos"))["items"])
        out.credit_memos = sum(1 for r in returns if memos.get(r["rma_id"]) == 1)
        out.memo_duplicates = sorted(r for r, n in memos.items() if n > 1)
    return out
