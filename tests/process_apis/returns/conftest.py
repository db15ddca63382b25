"""The return process over fake back-office ports and a real database (SQLite and PostgreSQL),
with a real worker on the outbox table running the saga.

Every test makes its own SKUs, customer and orders (a random suffix). Orders are
written straight into the order tables, shipped ``days_ago`` days ago.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import msgspec
import pytest
from sqlalchemy import delete, select, update

from process_apis.orders import repository as orders
from process_apis.orders.backoffice import BackOffice
from process_apis.orders.schemas import OrderLineView, Viewer
from process_apis.returns.events import ReturnEvents
from process_apis.returns.receiving import ReturnReceiving
from process_apis.returns.saga import ReturnSaga, StepBudget
from process_apis.returns.schemas import RequestReturn, ReturnLineRequest, ReturnPolicy, ReturnView
from process_apis.returns.service import ReturnService
from shared.bus import LocalBus
from shared.db.engine import create_engine, dispose
from shared.db.tables import dead_letters, outbox
from shared.db.tables import orders as orders_table
from shared.idempotency import IdempotencyLedger
from shared.messaging import OutboxStore, TableTransport, Worker, WorkerConfig
from shared.models import FulfilmentLine, Item, ShipmentConfirmed
from shared.resilience.retry import RetryPolicy
from tests.commerce_hub.orders_support import until
from tests.fakes.backoffice import FakeChannelPlatform, FakeFulfilment, FakePayments
from tests.fakes.erp import FakeErp

TOPICS = ("return.saga", "return.updated", "return.received", "return.inspection")
BUDGET = 1.0
"""Seconds a saga step retries a failing backend (HUB_RETRY_BUDGET_SECONDS, tiny for tests)."""


async def stop_worker(worker: Worker) -> None:
    """``Worker.stop``, cancelling its fetch loop again should the first cancellation be lost:
    SQLAlchemy's aiosqlite adapter can swallow a ``CancelledError`` that lands mid-transaction
    (the loop then keeps polling and ``stop`` never returns)."""
    stopping = asyncio.ensure_future(worker.stop(grace=0.1))
    while not (await asyncio.wait({stopping}, timeout=1.0))[0]:
        for task in asyncio.all_tasks():
            if task.get_name().endswith("-fetch_loop") and task.cancelling():
                task.cancel()
    await stopping


class World:
    """drill, bits, glasses (final sale), big (600.00); acme and bolt customers; one consumer."""

    def __init__(self, engine, policy: ReturnPolicy | None = None) -> None:  # noqa: ANN001
        tag = secrets.token_hex(3).upper()
        self.drill, self.bits, self.glasses, self.big = (f"{n}-{tag}" for n in ("DRILL", "BITS", "GLASSES", "BIG"))
        self.acme, self.bolt, self.consumer = f"ACME-{tag}", f"BOLT-{tag}", f"web-{tag}"
        self.erp, self.wms, self.payments, self.shopify = FakeErp(), FakeFulfilment(), FakePayments(), FakeChannelPlatform()
        for sku, price, final in ((self.drill, "129.00", False), (self.bits, "24.50", False),
                                  (self.glasses, "8.75", True), (self.big, "600.00", False)):
            self.erp.items[sku] = Item(sku=sku, name=sku, currency="USD", list_price=Decimal(price), final_sale=final)
        self.engine = engine
        self.bus = LocalBus()
        self.events: list[dict] = []
        self.bus.subscribe("return.updated", self._heard)
        self.service = ReturnService(engine, IdempotencyLedger(engine), BackOffice(self.erp), policy or ReturnPolicy(),
                                     wake=self.wake)
        self.workers: list[Worker] = []
        self.stopping = False

    async def _heard(self, payload: bytes) -> None:
        self.events.append(msgspec.json.decode(payload))

    def wake(self) -> None:
        if not self.stopping:
            for worker in self.workers:
                worker.wake()

    async def start_worker(self, payments: FakePayments | None = None, lease: float = 30.0,
                           shopify: bool = True) -> Worker:
        """A worker running the saga; ``shopify=False``: no Shopify port configured."""
        saga = ReturnSaga(self.engine, self.erp, self.wms, payments or self.payments,
                          channels={"shopify": self.shopify} if shopify else None,
                          budget=StepBudget(seconds=BUDGET, margin=0.05), wake=self.wake)
        handlers = {**saga.handlers(), **ReturnReceiving(self.engine, self.wms).handlers(),
                    **ReturnEvents(self.bus).handlers()}
        config = WorkerConfig(retry_budget_seconds=BUDGET, poll_seconds=0.05, lease_seconds=lease,
                              retry=RetryPolicy(max_attempts=10**6, base_delay=0.01, max_delay=0.05))
        worker = Worker(TableTransport(OutboxStore(self.engine), config), handlers, config=config)
        await worker.start()
        self.workers.append(worker)
        return worker

    async def stop(self) -> None:
        self.stopping = True
        for worker in self.workers:
            await stop_worker(worker)

    async def settle(self, timeout: float = 10.0) -> None:
        """Run the queued work until nothing is due."""
        for worker in self.workers:
            await worker.drain(timeout)

    async def finish(self, rma_id: str, timeout: float = 10.0) -> ReturnView:
        """Wait for the saga's end (a step in backoff is not due, so ``settle`` alone may return
        before it), then for the work it queued."""
        async def ended() -> bool:
            return (await self.returned(rma_id)).saga_step in ("done", "failed")

        await until(ended, timeout)
        await self.settle()
        return await self.returned(rma_id)

    async def order(self, *lines: tuple[str, int, str], customer: str | None = None, card: bool = True,
                    channel: str = "storefront", days_ago: float | None = 1, shopify_ref: str | None = None) -> str:
        """An order of ``lines`` (sku, quantity, unit price paid), shipped ``days_ago`` (None: not yet);
        with ``shopify_ref``, a Shopify order of that id, paid on Shopify."""
        now = datetime.now(UTC)
        views = tuple(OrderLineView(sku=s, quantity=q, unit_price=Decimal(p), extended_price=Decimal(p) * q)
                      for s, q, p in lines)
        total = sum((v.extended_price for v in views), Decimal("0.00"))
        payment = {"method": "card", "amount": str(total), "authorization_id": "pay_auth_1"} if card else None
        if shopify_ref is not None:
            channel = "shopify"
            payment = {"method": "shopify", "amount": str(total), "authorization_id": f"shopify:{shopify_ref}"}
        order = orders.StoredOrder(
            order_id=orders.new_order_id(), consumer=self.consumer, customer_id=customer, channel=channel,
            channel_order_ref=shopify_ref, po_number=None, currency="USD", total=total,
            status="shipped" if days_ago is not None else "released", erp_order_number="SO-1", lines=views,
            ship_to=None, created_at=now, payment=payment)
        async with self.engine.begin() as conn:
            await orders.insert_order(conn, order, None, detail=None)
            await conn.execute(update(orders_table).where(orders_table.c.order_id == order.order_id)
                               .values(erp_order_number="SO-1"))
            if days_ago is not None:
                await orders.add_shipment(conn, ShipmentConfirmed(
                    shipment_id=f"SHP-{uuid.uuid4().hex[:10]}", order_id=order.order_id, carrier="UPS",
                    tracking_number="1Z", shipped_at=now - timedelta(days=days_ago),
                    lines=tuple(FulfilmentLine(sku=s, quantity=q) for s, q, _ in lines)))
        return order.order_id

    def viewer(self, customer: str | None = None, consumer: str | None = None) -> Viewer:
        return Viewer(consumer=consumer or self.consumer, customer_id=customer)

    def request(self, order_id: str, *lines: tuple[str, int, str], customer: str | None = None,
                consumer: str | None = None) -> RequestReturn:
        return RequestReturn(channel="storefront", viewer=self.viewer(customer, consumer), order_id=order_id,
                             lines=tuple(ReturnLineRequest(sku=s, quantity=q, reason=r) for s, q, r in lines))

    async def returned(self, rma_id: str) -> ReturnView:
        return await self.service.get_return(rma_id)

    async def dead_letters(self, key: str) -> list:
        async with self.engine.connect() as conn:
            return (await conn.execute(select(dead_letters).where(dead_letters.c.key == key))).all()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request) -> str:  # noqa: ANN001
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture
async def world(database_url: str) -> World:
    engine = create_engine(database_url)
    async with engine.begin() as conn:  # what earlier tests left queued is theirs, not ours
        await conn.execute(delete(outbox).where(outbox.c.topic.in_(TOPICS)))
    w = World(engine)
    yield w
    await w.stop()
    await dispose(engine)
