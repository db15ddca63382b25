"""Sales orders and releases made at the same moment travel as one bulk request (``vendor_batch``),
against the real sandbox in process: each keeps its own answer, its own refusal and exactly-once."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import msgspec
import pytest

from shared.errors import BackendError, BackendUnavailable
from shared.models import FulfilmentLine, FulfilmentRequest, OrderLine
from tests.system_apis.sandbox_ports import SandboxPorts
from tests.system_apis.test_orders_against_sandbox import ORDER, SHIP_TO


@pytest.fixture
async def ports():
    ports = SandboxPorts()
    yield ports
    for client in ports.clients:
        await client.aclose()
    await ports.control.aclose()


def _order(n: int, **changes):
    return msgspec.structs.replace(ORDER, order_id=f"ord_{n:03}", **changes)


def _bulk_posts(ports: SandboxPorts, path: str) -> list:
    return [p for p in ports.transport.posts if p.url.path.endswith(path)]


async def test_posts_made_together_book_each_order_once_in_one_bulk_request(ports: SandboxPorts) -> None:
    refs = await asyncio.gather(*(ports.erp.post_sales_order(_order(n)) for n in range(12)))

    assert len({r.erp_order_number for r in refs}) == 12
    (bulk,) = _bulk_posts(ports, "/salesOrders/batch")
    sent = msgspec.json.decode(bulk.content)["requests"]
    assert [r["idempotencyKey"] for r in sent] == [f"ord_{n:03}" for n in range(12)]
    booked = await ports.view("/sandbox/erp/sales-orders")
    assert sorted(b["external_ref"] for b in booked) == [f"ord_{n:03}" for n in range(12)]
    by_ref = {b["external_ref"]: b["erp_order_number"] for b in booked}
    assert [r.erp_order_number for r in refs] == [by_ref[f"ord_{n:03}"] for n in range(12)]


async def test_a_lone_post_takes_the_single_write(ports: SandboxPorts) -> None:
    await ports.erp.post_sales_order(_order(1))

    (post,) = ports.transport.posts
    assert post.url.path.endswith("/salesOrders") and post.headers["Idempotency-Key"] == "ord_001"


async def test_a_refused_order_fails_alone_and_the_others_are_booked(ports: SandboxPorts) -> None:
    unknown = OrderLine(sku="SKU-9999", quantity=1, unit_price=Decimal("1.00"), extended_price=Decimal("1.00"))
    orders = [_order(n) for n in range(5)]
    orders[2] = _order(2, lines=(unknown,), total=Decimal("1.00"))

    results = await asyncio.gather(*(ports.erp.post_sales_order(o) for o in orders), return_exceptions=True)

    assert isinstance(results[2], BackendError) and not isinstance(results[2], BackendUnavailable)
    assert all(not isinstance(r, Exception) for i, r in enumerate(results) if i != 2)
    assert sorted(b["external_ref"] for b in await ports.view("/sandbox/erp/sales-orders")) == [
        "ord_000", "ord_001", "ord_003", "ord_004"]


async def test_a_bulk_answer_lost_is_retried_whole_and_books_each_order_exactly_once(ports: SandboxPorts) -> None:
    await ports.erp.post_sales_order(_order(0))  # booked before: in the batch again, answered, not rebooked
    ports.transport.lose = 1

    refs = await asyncio.gather(*(ports.erp.post_sales_order(_order(n)) for n in range(6)))

    assert len(_bulk_posts(ports, "/salesOrders/batch")) == 2
    booked = await ports.view("/sandbox/erp/sales-orders")
    assert sorted(b["external_ref"] for b in booked) == [f"ord_{n:03}" for n in range(6)]
    assert len({r.erp_order_number for r in refs}) == 6


async def test_the_same_order_twice_in_one_batch_is_booked_once(ports: SandboxPorts) -> None:
    first, second = await asyncio.gather(ports.erp.post_sales_order(_order(7)), ports.erp.post_sales_order(_order(7)))

    assert first == second
    assert len(await ports.view("/sandbox/erp/sales-orders", external_ref="ord_007")) == 1


async def test_an_outage_fails_every_call_of_the_batch_and_a_retry_books_them_once(ports: SandboxPorts) -> None:
    await ports.control.put("/sandbox/erp/faults", json={"outage": True})
    failed = await asyncio.gather(*(ports.erp.post_sales_order(_order(n)) for n in range(4)), return_exceptions=True)
    assert all(isinstance(f, BackendUnavailable) for f in failed)
    await ports.control.delete("/sandbox/erp/faults")

    await asyncio.gather(*(ports.erp.post_sales_order(_order(n)) for n in range(4)))

    assert len(await ports.view("/sandbox/erp/sales-orders")) == 4


async def test_a_vendor_without_the_bulk_path_gets_the_calls_one_by_one(ports: SandboxPorts) -> None:
    ports.erp._posts._path = "/api/v1/no-bulk-here"  # a vendor that has no such path: 404

    refs = await asyncio.gather(*(ports.erp.post_sales_order(_order(n)) for n in range(3)))
    await asyncio.gather(*(ports.erp.post_sales_order(_order(n)) for n in range(3, 6)))

    assert len({r.erp_order_number for r in refs}) == 3
    assert len(await ports.view("/sandbox/erp/sales-orders")) == 6
    assert len(_bulk_posts(ports, "/no-bulk-here")) == 1  # tried once, then one by one


def _release(n: int) -> FulfilmentRequest:
    return FulfilmentRequest(order_id=f"ord_{n:03}", ship_to=SHIP_TO,
                             lines=(FulfilmentLine(sku="SKU-1001", quantity=1),))


async def test_releases_made_together_go_in_one_bulk_request_each_once(ports: SandboxPorts) -> None:
    await ports.fulfilment.release(_release(0))
    ports.transport.lose = 1

    refs = await asyncio.gather(*(ports.fulfilment.release(_release(n)) for n in range(8)))

    assert len(_bulk_posts(ports, "/fulfillment_requests/batch")) == 2  # lost once, retried whole
    assert len({r.fulfilment_id for r in refs}) == 8
    again = await asyncio.gather(*(ports.fulfilment.release(_release(n)) for n in range(8)))
    assert again == refs


async def test_a_release_the_wms_refuses_fails_alone(ports: SandboxPorts) -> None:
    bad = msgspec.structs.replace(_release(3), lines=())

    results = await asyncio.gather(*(ports.fulfilment.release(r) for r in [_release(1), bad, _release(2)]),
                                   return_exceptions=True)

    assert isinstance(results[1], BackendError) and not isinstance(results[1], BackendUnavailable)
    assert results[0].fulfilment_id != results[2].fulfilment_id


async def test_the_sandbox_refuses_an_empty_or_oversized_bulk_request(ports: SandboxPorts) -> None:
    for requests in ([], [{"body": {}}] * 101):
        answer = await ports.control.post("/sandbox/erp/api/v1/salesOrders/batch", json={"requests": requests})
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "INVALID_FLD_VALUE"
        answer = await ports.control.post("/sandbox/wms/api/v2/fulfillment_requests/batch", json={"requests": requests})
        assert answer.status_code == 400 and answer.json()["errors"][0]["code"] == "invalid_request"


async def test_a_malformed_write_inside_a_bulk_request_is_its_own_400(ports: SandboxPorts) -> None:
    answer = await ports.control.post("/sandbox/erp/api/v1/salesOrders/batch",
                                      json={"requests": [{"body": {"externalRef": "x"}}, {"body": "nonsense"}]})

    assert answer.status_code == 200
    assert [r["status"] for r in answer.json()["responses"]] == [400, 400]
    assert answer.json()["responses"][0]["body"]["error"]["code"] == "MISSING_REQD_FLD"


async def test_a_lone_post_is_a_span_under_its_callers_and_a_bulk_one_names_and_links_its_orders(
        ports: SandboxPorts, spans) -> None:
    from opentelemetry import trace

    tracer = trace.get_tracer("test")
    with tracer.start_as_current_span("caller") as caller:
        await ports.erp.post_sales_order(_order(1))

    async def traced(n: int):  # noqa: ANN202 - each order's handler in a span of its own
        with tracer.start_as_current_span(f"handler-{n}") as span:
            await ports.erp.post_sales_order(_order(n))
            return span.get_span_context()

    handlers = await asyncio.gather(*(traced(n) for n in range(2, 5)))

    finished = spans.get_finished_spans()
    (alone,) = [s for s in finished if s.name == "erp.post_sales_order"]
    assert alone.parent is not None and alone.parent.span_id == caller.get_span_context().span_id
    (bulk,) = [s for s in finished if s.name == "erp.post_sales_orders"]
    assert list(bulk.attributes["hub.order_ids"]) == ["ord_002", "ord_003", "ord_004"]
    assert bulk.attributes["hub.batch_size"] == 3
    assert [(l.context.trace_id, l.context.span_id) for l in bulk.links] == [  # each order's trace reaches it
        (h.trace_id, h.span_id) for h in handlers]
    assert bulk.context.trace_id not in {h.trace_id for h in handlers}  # a trace of its own, not the first caller's
