"""The journey look-up on SQLite and PostgreSQL, against the real tables: each identifier finds
what carries it and nothing else; a message's retries, its dead letter, its replay and its
success are steps, with attempts, backend, latency and the trace of the request that queued
it; the handler's span is a child of that request's span; waiting work shows as pending."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
from opentelemetry import trace
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine

from process_apis.journeys.port import JourneyPort
from process_apis.journeys.service import JourneyService
from process_apis.orders import repository as orders_repo
from process_apis.orders.schemas import OrderLineView
from process_apis.returns import repository as returns_repo
from process_apis.returns.schemas import ReturnLine
from shared.db.engine import create_engine
from shared.db.tables import outbox
from shared.errors import BackendUnavailable, BusinessRuleViolation
from shared.messaging import DeadLetterService, Message, OutboxStore, TableTransport, Worker, WorkerConfig, enqueue
from shared.messaging.journal import add_ref
from shared.models import FulfilmentLine, ShipmentConfirmed
from shared.resilience.retry import RetryPolicy
from shared.rpc import RpcApp, rpc_client
from shared.telemetry import setup_tracing
from tests.commerce_hub.orders_support import until

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
FAST = WorkerConfig(poll_seconds=0.02, retry=RetryPolicy(max_attempts=1_000_000, base_delay=0.01, max_delay=0.01))


def tag() -> str:
    return secrets.token_hex(4)  # the PostgreSQL database is the session's: unique identifiers per test


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    setup_tracing("journeys-test")
    made = create_engine(database_url)
    yield made
    await made.dispose()


async def add_order(engine: AsyncEngine, t: str, **refs: str | None) -> str:
    order = orders_repo.StoredOrder(
        order_id=orders_repo.new_order_id(), consumer="c", customer_id=None, channel=refs.pop("channel", "partner"),
        channel_order_ref=refs.pop("channel_order_ref", f"REF-{t}"), po_number=refs.pop("po_number", f"PO-{t}"),
        currency="USD", total=Decimal("10.00"), status="accepted", erp_order_number=None,
        lines=(OrderLineView(sku="SKU-1003", quantity=1, unit_price=Decimal("10.00"), extended_price=Decimal("10.00")),),
        ship_to=None, payment=None, created_at=NOW)
    async with engine.begin() as conn:
        await orders_repo.insert_order(conn, order, None, None)
        await orders_repo.move(conn, order.order_id, "posted", ["accepted"], erp_order_number=f"SO-{t}")
        await orders_repo.move(conn, order.order_id, "released", ["posted"], fulfilment_id=f"FR-{t}")
        await orders_repo.add_shipment(conn, ShipmentConfirmed(
            order_id=order.order_id, shipment_id=f"SHP-{t}", carrier="UPS", tracking_number=f"1Z{t}",
            shipped_at=NOW, lines=(FulfilmentLine(sku="SKU-1003", quantity=1),)))
    return order.order_id


async def add_return(engine: AsyncEngine, order_id: str, t: str) -> str:
    rma = returns_repo.StoredReturn(
        rma_id=f"rma_{t}", order_id=order_id, consumer="c", customer_id=None, channel="partner", status="authorized",
        currency="USD", refund_amount=Decimal("10.00"), refund_status="pending", refund_method="card",
        lines=(ReturnLine(sku="SKU-1003", quantity=1, reason="damaged", decision="approved",
                                                                   disposition="restock", unit_price=Decimal("10.00"),
                                                                   refund_amount=Decimal("10.00")),),
        created_at=NOW, updated_at=NOW)
    async with engine.begin() as conn:
        await returns_repo.insert_return(conn, rma, "authorized")
        await returns_repo.change(conn, rma, detail="refunded", credit_memo_id=f"CM-{t}", refund_id=f"RF-{t}",
                                  refund_status="issued")
    return rma.rma_id


async def test_every_identifier_finds_what_carries_it_and_nothing_else(engine: AsyncEngine) -> None:
    t = tag()
    order_id = await add_order(engine, t)
    other = await add_order(engine, tag())
    rma_id = await add_return(engine, order_id, t)
    async with engine.begin() as conn:
        await add_ref(conn, f"hook-{t}", f"REF-{t}", "shopify_webhook")
    journeys = JourneyService(engine)
    for ref in (order_id, f"REF-{t}", f"PO-{t}", f"SO-{t}", f"FR-{t}", f"SHP-{t}", f"1Z{t}", f"hook-{t}"):
        found = (await journeys.find(ref)).items
        assert [(j.kind, j.id) for j in found] == [("order", order_id), ("return", rma_id)] if ref == order_id \
            else [("order", order_id)], ref
    for ref in (rma_id, f"CM-{t}", f"RF-{t}"):
        [found] = (await journeys.find(ref)).items
        assert (found.kind, found.id, found.refs.order_id) == ("return", rma_id, order_id)
    [order] = (await journeys.find(f"SO-{t}")).items
    assert order.refs.shipment_ids == (f"SHP-{t}",) and order.refs.tracking_numbers == (f"1Z{t}",)
    assert order.refs.rma_ids == (rma_id,) and order.refs.erp_order_number == f"SO-{t}"
    assert [s.step for s in order.steps] == ["accepted", "posted", "released"]
    assert other not in {j.id for ref in (f"SO-{t}", order_id) for j in (await journeys.find(ref)).items}
    for ref in (f"SO-{t}"[:-1], f"so-{t}", f"{order_id} ", "%", "_", f"PO-{t}%"):
        assert (await journeys.find(ref)).items == [], ref


async def test_a_retry_a_dead_letter_a_replay_and_the_success_are_steps_on_the_request_trace(
        engine: AsyncEngine, spans: object) -> None:
    order_id = await add_order(engine, tag())
    seen: list = []  # the handler's spans

    async def post_to_erp(message: Message) -> None:
        seen.append(trace.get_current_span())
        if len(seen) == 1:
            raise BackendUnavailable("ERP down", backend="erp")
        if len(seen) == 2:
            raise BusinessRuleViolation("Customer is on credit hold.", code="credit_hold")

    worker = Worker(TableTransport(OutboxStore(engine), FAST), {"order.accepted": post_to_erp}, config=FAST)
    await worker.start()
    try:
        with trace.get_tracer("test").start_as_current_span("POST /v1/partner/orders") as request:
            async with engine.begin() as conn:
                await enqueue(conn, "order.accepted", order_id, b'{"order_id": "%s"}' % order_id.encode())
        worker.wake()

        async def dead_lettered() -> str | None:  # the retry is due 10 ms later: drain() may end before it
            steps = (await JourneyService(engine).find(order_id)).items[0].steps
            return next((s.dead_letter_id for s in steps if s.outcome == "dead_lettered"), None)

        letter_id = await until(dead_lettered, timeout=10)
        await DeadLetterService(engine).replay(letter_id)
        worker.wake()
        await until(lambda: _done(engine, order_id), timeout=10)
    finally:
        await worker.stop()
    [journey] = (await JourneyService(engine).find(order_id)).items
    messages = [s for s in journey.steps if s.step == "order.accepted"]
    assert [(s.outcome, s.attempts, s.layer) for s in messages] == [
        ("retried", 1, "system"), ("dead_lettered", 2, "system"), ("replayed", 2, "operations"), ("done", 1, "system")]
    retried, dead, replayed, done = messages
    assert retried.detail.startswith("backend_unavailable: ERP down")
    assert dead.detail == "credit_hold: Customer is on credit hold." and dead.dead_letter_id == letter_id
    assert replayed.dead_letter_id == dead.dead_letter_id and done.message_id != dead.message_id
    assert all(s.backend == "erp" and s.schema_version == 1 and s.latency_ms is not None and s.latency_ms >= 0
               for s in (retried, dead, done))
    ours = request.get_span_context()
    trace_id = format(ours.trace_id, "032x")
    assert retried.trace_id == dead.trace_id == trace_id
    # the handler ran in a span of the request's trace, a child of the span that queued the message
    assert [span.parent.span_id for span in seen[:2]] == [ours.span_id] * 2
    assert [span.get_span_context().trace_id for span in seen[:2]] == [ours.trace_id] * 2
    assert seen[0].kind == trace.SpanKind.CONSUMER and seen[0].name == "order.accepted"
    assert [s.at for s in journey.steps] == sorted(s.at for s in journey.steps)


async def _done(engine: AsyncEngine, order_id: str) -> bool:
    return any(s.outcome == "done" for s in (await JourneyService(engine).find(order_id)).items[0].steps if s.message_id)


async def test_work_still_waiting_is_a_pending_step(engine: AsyncEngine) -> None:
    order_id = await add_order(engine, tag())
    async with engine.begin() as conn:
        await enqueue(conn, "order.posted", order_id, b'{"order_id": "%s"}' % order_id.encode())
        await enqueue(conn, "stock.changed", order_id, b"{}")  # not a journey topic: not shown
    [journey] = (await JourneyService(engine).find(order_id)).items
    [pending] = [s for s in journey.steps if s.outcome == "pending"]
    assert (pending.step, pending.backend, pending.attempts, pending.detail) == ("order.posted", "wms", 0, "waiting")
    async with engine.begin() as conn:  # leave the session's outbox as we found it
        await conn.execute(delete(outbox).where(outbox.c.key == order_id))


async def test_the_port_over_rpc_answers_as_in_process(engine: AsyncEngine) -> None:
    t = tag()
    order_id = await add_order(engine, t)
    app = RpcApp({"journeys": (JourneyPort, JourneyService(engine))})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://process") as client:
        remote = rpc_client(JourneyPort, "journeys", client)
        assert await remote.find(f"SHP-{t}") == await JourneyService(engine).find(f"SHP-{t}")
        assert [j.id for j in (await remote.find(f"SHP-{t}")).items] == [order_id]
        assert (await remote.find(f"none-{t}")).items == []


async def test_dead_letters_resolved_or_replayed_in_bulk_show_who_did_it_and_the_note(engine: AsyncEngine) -> None:
    # issue 12: an operator's resolve (with its note) and a bulk replay are steps of the journey
    from datetime import timedelta

    from sqlalchemy import insert

    from shared.db.tables import dead_letters
    from shared.messaging.dead_letter_filter import DeadLetterFilter
    from shared.ops.audit import Actor

    t = tag()
    order_id = await add_order(engine, t)
    at = datetime(2001, 1, 1, tzinfo=UTC) + timedelta(seconds=secrets.randbelow(10**8))  # this test's letters only
    async with engine.begin() as conn:
        for n, (topic, backend) in enumerate((("order.accepted", "erp"), ("order.posted", "wms"))):
            await conn.execute(insert(dead_letters).values(
                id=f"dl_{t}_{n}", topic=topic, key=order_id, payload='{"order_id": "%s"}' % order_id,
                reason="credit_hold: on hold", attempts=3, dead_at=at, backend=backend, status="open"))
    letters = DeadLetterService(engine)
    await letters.resolve(f"dl_{t}_0", "cancelled by phone", actor=Actor(consumer="ops-ann", key_id="key_ann"))
    bulk = await letters.replay_matching(DeadLetterFilter(topic="order.posted", since=at, until=at + timedelta(seconds=1)),
                                         actor=Actor(consumer="ops-bob", key_id="key_bob"))
    assert bulk.replayed == 1
    try:
        [journey] = (await JourneyService(engine).find(order_id)).items
        ops = [s for s in journey.steps if s.layer == "operations"]
        assert [(s.step, s.outcome, s.dead_letter_id, s.actor, s.note, s.backend) for s in ops] == [
            ("order.accepted", "resolved", f"dl_{t}_0", "ops-ann (key_ann)", "cancelled by phone", "erp"),
            ("order.posted", "replayed", f"dl_{t}_1", "ops-bob (key_bob)", None, "wms")]
        assert ops[0].detail == f"dead letter dl_{t}_0 resolved without a replay by ops-ann (key_ann)"
        assert [s.outcome for s in journey.steps if s.step == "order.posted"] == ["replayed", "pending"]
    finally:
        async with engine.begin() as conn:  # leave the session's outbox as we found it
            await conn.execute(delete(outbox).where(outbox.c.key == order_id))
