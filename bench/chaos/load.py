"""The chaos run's mixed load at constant rates, each request's outcome recorded for the fault
windows: orders from four channels (storefront checkout, Shopify ``orders/create`` webhooks from
the sandbox shop, partner API, EDI 850 interchanges), product reads that hit and miss the cache,
3-line baskets, signed WMS stock events, and a share of storefront orders returned (a refund).

An order is placed as a well-behaved client does: on no answer, 5xx, 429 or 409 in flight it
sends the SAME request (same Idempotency-Key, same PO, same interchange) again, for at most
``RETRY_SECONDS``; the hub must still book it exactly once."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import random
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.edi_samples import purchase_order  # noqa: E402

from plan import Outcome  # noqa: E402

RETRY_SECONDS = 90.0
SHIP_TO = {"name": "Acme Receiving", "line1": "1 Main St", "city": "Springfield", "region": "IL",
           "postal_code": "62701", "country": "US"}
LINE = {"sku": "SKU-1003", "quantity": 1, "unit_price": "8.75"}
CARD_ORDER = {"currency": "USD", "ship_to": SHIP_TO, "lines": [LINE],
              "payment": {"method": "card", "authorization_id": "pay_auth_123", "amount": "8.75"}}
# an order to be returned: SKU-1003 is final sale; SKU-1001 (99.00 to CUST-ACME) is not, paid by its own card
RETURNED_LINE = {"sku": "SKU-1001", "quantity": 1, "unit_price": "99.00"}
BASKET = {"customer_id": "CUST-ACME", "lines": [{"sku": "SKU-1001", "quantity": 2}, {"sku": "SKU-1002", "quantity": 1},
                                                {"sku": "SKU-1003", "quantity": 3}]}
WMS_SECRET = "sandbox-wms-secret"
CHANNELS = ("storefront", "shopify", "partner", "edi")


@dataclass
class Rates:
    orders: float = 20.0  # per second over the four channels (storefront 40 %, the others 20 % each)
    products: float = 20.0  # GETs: three in four hit the cache, one in four asks a new quantity (a miss)
    baskets: float = 4.0
    stock: float = 2.0
    return_share: float = 0.1  # of storefront orders, returned once shipped


@dataclass
class Keys:
    web: str  # storefront, bound to CUST-ACME: orders and returns
    partner: str  # partner API, EDI and webhooks, bound to CUST-ACME
    catalog: str


@dataclass
class Tally:
    outcomes: list[Outcome] = field(default_factory=list)
    sent: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHANNELS, 0))
    accepted: dict[str, set[str]] = field(default_factory=lambda: {c: set() for c in CHANNELS})  # hub order ids
    shopify_refs: set[str] = field(default_factory=set)  # the sandbox shop's order ids
    edi_pos: set[str] = field(default_factory=set)  # PO numbers of the 850s the hub answered 2xx for
    refused: list[str] = field(default_factory=list)  # "channel status body" of final non-2xx answers
    returns: set[str] = field(default_factory=set)  # rma ids the hub answered 201 for
    returns_failed: list[str] = field(default_factory=list)


class Load:
    def __init__(self, lb: str, sandbox: str, keys: Keys, rates: Rates, t0: float, seed: int,
                 edi_control: int = 100_000) -> None:
        self.lb, self.sandbox, self.keys, self.rates, self.t0 = lb, sandbox, keys, rates, t0
        self.tally = Tally()
        self.rng = random.Random(seed)
        self.tag = uuid.uuid4().hex[:6]
        self.tasks: set[asyncio.Task] = set()
        self.stock_seq = int(time.time() * 1000)
        self.edi_control = edi_control  # ISA13: a control number used again is a replay to the hub
        self.session: aiohttp.ClientSession | None = None

    async def call(self, kind: str, method: str, url: str, **kw) -> tuple[int, dict | None]:  # noqa: ANN003
        try:
            async with self.session.request(method, url, **kw) as response:
                raw = await response.read()
                status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError):
            status, raw = 0, b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        ok = 200 <= status < 300
        code = body.get("code") if not ok and isinstance(body, dict) else None
        self.tally.outcomes.append(Outcome(time.monotonic() - self.t0, kind, ok, status,
                                           code if isinstance(code, str) else ""))
        return status, body

    async def place(self, channel: str, method: str, url: str, **kw) -> dict | None:  # noqa: ANN003
        """The same request until a 2xx or a final answer, for at most RETRY_SECONDS."""
        deadline = time.monotonic() + RETRY_SECONDS
        pause = 0.5
        while True:
            status, body = await self.call(f"order.{channel}", method, url, **kw)
            if 200 <= status < 300:
                return body
            retry = status in (0, 429) or status >= 500 or (
                status == 409 and (body or {}).get("code") == "idempotency_key_in_flight")
            if not retry or time.monotonic() > deadline:
                self.tally.refused.append(f"{channel} {status} {json.dumps(body)[:200]}")
                return None
            await asyncio.sleep(pause * (0.5 + self.rng.random()))  # backoff with jitter, bounded by the deadline
            pause = min(pause * 2, 8.0)

    # -- the order channels -------------------------------------------------------------------

    async def storefront(self, i: int) -> None:
        self.tally.sent["storefront"] += 1
        headers = {"X-API-Key": self.keys.web, "Idempotency-Key": f"chaos-{self.tag}-web-{i}"}
        order = CARD_ORDER
        returning = self.rng.random() < self.rates.return_share
        if returning:  # a card authorization of its own at the payment provider (the sandbox)
            status, auth = await self.call("pay.authorize", "POST",
                                           f"{self.sandbox}/sandbox/payments/v1/authorizations",
                                           json={"amount": "99.00", "currency": "USD"})
            if status != 200 or not auth:
                returning = False
            else:
                order = {**CARD_ORDER, "lines": [RETURNED_LINE],
                         "payment": {"method": "card", "authorization_id": auth["id"], "amount": "99.00"}}
        body = await self.place("storefront", "POST", f"{self.lb}/v1/storefront/orders", json=order, headers=headers)
        if body:
            self.tally.accepted["storefront"].add(body["order_id"])
            if returning:
                await self.give_back(body["order_id"], i)

    async def partner(self, i: int) -> None:
        self.tally.sent["partner"] += 1
        headers = {"X-API-Key": self.keys.partner, "Idempotency-Key": f"chaos-{self.tag}-po-{i}"}
        order = {"po_number": f"PO-{self.tag}-{i}", "lines": [LINE], "ship_to": SHIP_TO}
        body = await self.place("partner", "POST", f"{self.lb}/v1/partner/orders", json=order, headers=headers)
        if body:
            self.tally.accepted["partner"].add(body["order_id"])

    async def edi(self, i: int) -> None:
        self.tally.sent["edi"] += 1
        self.edi_control += 1
        po = f"EDI-{self.tag}-{i}"
        x12 = purchase_order(self.edi_control, po, [("SKU-1003", 1, "8.75")])
        headers = {"X-API-Key": self.keys.partner, "Content-Type": "application/edi-x12"}
        body = await self.place("edi", "POST", f"{self.lb}/v1/partner/edi/interchanges", data=x12.encode(),
                                headers=headers)
        if body:  # the 850 is the hub's from here: its order may still be "pending" (made by the flows)
            self.tally.edi_pos.add(po)

    async def shopify(self, i: int) -> None:
        """A shopper's order in the sandbox shop: its ``orders/create`` webhook goes to the hub
        (signed, retried by the shop); the hub's acceptance is counted from its own table."""
        self.tally.sent["shopify"] += 1
        status, body = await self.call("shop.order", "POST", f"{self.sandbox}/sandbox/shopify/orders",
                                       json={"line_items": [{"sku": "SKU-1003", "quantity": 1, "price": "8.75"}]})
        if status == 201 and body:
            self.tally.shopify_refs.add(str(body["order"]["id"]))
        else:
            self.tally.refused.append(f"shopify (sandbox shop) {status} {json.dumps(body)[:200]}")

    async def give_back(self, order_id: str, i: int) -> None:
        """Once the order shipped (the sandbox WMS ships by itself), return its one item."""
        deadline = time.monotonic() + 240
        headers = {"X-API-Key": self.keys.web}
        while time.monotonic() < deadline:
            await asyncio.sleep(2.0)  # polling the order's status, bounded by the deadline
            status, view = await self.call("order.read", "GET", f"{self.lb}/v1/storefront/orders/{order_id}",
                                           headers=headers)
            if status == 200 and view and view["status"] == "shipped":
                break
        else:
            self.tally.returns_failed.append(f"{order_id}: not shipped in 240 s")
            return
        body = await self.place("return", "POST", f"{self.lb}/v1/storefront/returns",
                                json={"order_id": order_id, "lines": [{"sku": "SKU-1001", "quantity": 1,
                                                                        "reason": "not_needed"}]},
                                headers={**headers, "Idempotency-Key": f"chaos-{self.tag}-rma-{i}"})
        if body:
            self.tally.returns.add(body["rma_id"])
        else:
            self.tally.returns_failed.append(f"{order_id}: return refused")

    # -- reads and events -----------------------------------------------------------------------

    async def product(self, i: int) -> None:
        hit = i % 4 != 3
        quantity = 1 if hit else self.rng.randint(2, 9999)
        await self.call("product.hit" if hit else "product.miss", "GET",
                        f"{self.lb}/v1/storefront/products/SKU-100{1 + i % 3}?quantity={quantity}",
                        headers={"X-API-Key": self.keys.catalog})

    async def basket(self, _: int) -> None:
        await self.call("basket", "POST", f"{self.lb}/v1/storefront/price-availability", json=BASKET,
                        headers={"X-API-Key": self.keys.catalog})

    async def stock(self, i: int) -> None:
        self.stock_seq += 1
        qty = 1000 + i
        body = json.dumps({"event_type": "inventory.adjusted", "payload": {
            "item_code": f"SKU-C{i % 20:03d}", "warehouse_id": "DC-EAST", "on_hand": qty, "available": qty,
            "sequence": self.stock_seq}}).encode()
        sig = "sha256=" + hmac.new(WMS_SECRET.encode(), body, hashlib.sha256).hexdigest()
        await self.call("stock.event", "POST", f"{self.lb}/hooks/wms", data=body,
                        headers={"X-Signature": sig, "Content-Type": "application/json"})

    # -- the schedule ---------------------------------------------------------------------------

    async def run(self, seconds: float) -> None:
        """Every stream at its constant rate until ``seconds`` have passed; the orders' own
        retries and returns go on after (bounded by their deadlines) and are awaited."""
        r = self.rates
        streams = [(self.storefront, r.orders * 0.4), (self.shopify, r.orders * 0.2), (self.partner, r.orders * 0.2),
                   (self.edi, r.orders * 0.2), (self.product, r.products), (self.basket, r.baskets),
                   (self.stock, r.stock)]
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=256)) as session:
            self.session = session
            await asyncio.gather(*(self._stream(fn, rate, seconds) for fn, rate in streams if rate > 0))
            while self.tasks:
                await asyncio.gather(*list(self.tasks), return_exceptions=True)

    async def _stream(self, fn, rate: float, seconds: float) -> None:  # noqa: ANN001
        start = time.monotonic()
        for i in range(int(rate * seconds)):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)  # the arrival schedule, not a wait for a condition
            task = asyncio.create_task(fn(i))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
