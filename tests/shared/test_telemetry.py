"""Telemetry (shared/telemetry.py, shared/logs.py): spans with business attributes, OTLP export
configured by OTEL_*, traceparent on every answer, JSON log lines, and no secret anywhere."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_ON

from shared import telemetry
from shared.logs import JsonFormatter, order_context, redact, remember_secrets
from shared.telemetry import exporter_from_env, parse_traceparent, setup_tracing, stop_exporting
from tests.conftest import ADMIN_KEY, Hub
from tests.gateway.support import api

TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$")
ORDER = {"lines": [{"sku": "SKU-1003", "quantity": 1, "unit_price": "8.75"},
                   {"sku": "SKU-1001", "quantity": 2}],
         "payment": {"method": "card", "amount": "266.75", "authorization_id": "pay_auth_123"}}


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    """Every log line of the process, as the hub writes them (JSON)."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def place_order(hub: Hub, key: str, **headers: str):  # noqa: ANN201
    return await hub.http.post("/v1/storefront/orders", json=ORDER,
                               headers=api(key, **{"Idempotency-Key": uuid.uuid4().hex, **headers}))


def attributes_of(exporter: InMemorySpanExporter, name: str) -> dict:
    found = [s for s in exporter.get_finished_spans() if s.name == name]
    assert found, sorted({s.name for s in exporter.get_finished_spans()})
    return dict(found[-1].attributes or {})


async def test_order_capture_span_carries_the_business_attributes(hub: Hub, spans: InMemorySpanExporter) -> None:
    key = await hub.new_key("orders:write", "orders:read")
    answer = await place_order(hub, key)
    assert answer.status_code == 201, answer.text
    order_id = answer.json()["order_id"]
    capture = attributes_of(spans, "orders.capture")
    assert capture["hub.order.id"] == order_id
    assert capture["hub.channel"] == "storefront" and capture["hub.sku_count"] == 2
    trace_id, span_id = TRACEPARENT.match(answer.headers["traceparent"]).groups()
    (server,) = [s for s in spans.get_finished_spans() if s.kind == trace.SpanKind.SERVER
                 and format(s.context.span_id, "016x") == span_id]
    captured = next(s for s in spans.get_finished_spans() if s.name == "orders.capture")
    assert format(captured.context.trace_id, "032x") == trace_id == format(server.context.trace_id, "032x")
    backend_calls = [s for s in spans.get_finished_spans() if s.attributes.get("hub.backend") or s.name.startswith("erp.")]
    assert backend_calls, "the back office reads are spans of the same trace"


async def test_the_outbox_consumers_run_in_spans_naming_the_order(hub: Hub, spans: InMemorySpanExporter) -> None:
    key = await hub.new_key("orders:write", "orders:read")
    order_id = (await place_order(hub, key)).json()["order_id"]
    for _ in range(200):  # bounded: the worker picks the accepted order up
        consumed = [s for s in spans.get_finished_spans() if s.name.startswith("process order.")
                    and s.attributes.get("hub.order.id") == order_id]
        if consumed:
            break
        await asyncio.sleep(0.02)
    assert consumed, sorted({s.name for s in spans.get_finished_spans()})
    assert consumed[0].attributes["messaging.operation.type"] == "process"
    assert consumed[0].attributes["messaging.destination.name"].startswith("order.")


async def test_every_answer_carries_a_traceparent_continuing_the_callers_trace(hub: Hub) -> None:
    key = await hub.new_key("catalog:read")
    caller = "00-" + "ab" * 16 + "-" + "cd" * 8 + "-01"
    miss = await hub.http.get("/v1/storefront/products/SKU-1001", headers=api(key, traceparent=caller))
    hit = await hub.http.get("/v1/storefront/products/SKU-1001", headers=api(key, traceparent=caller))
    assert hit.headers["x-cache"] == "HIT"
    for answer in (miss, hit):
        trace_id, span_id = TRACEPARENT.match(answer.headers["traceparent"]).groups()
        assert trace_id == "ab" * 16 and span_id != "cd" * 8  # our span, the caller's trace
    plain = await hub.http.get("/v1/storefront/products/SKU-1001", headers=api(key))
    refused = await hub.http.get("/v1/storefront/products/SKU-1001")  # 401 at the edge, before any span
    for answer in (plain, refused):
        assert TRACEPARENT.match(answer.headers["traceparent"]), answer.headers
    assert refused.json()["trace_id"] == refused.headers["traceparent"][3:35]
    garbage = await hub.http.get("/v1/storefront/products/SKU-1001", headers=api(key, traceparent="00-zz-1-01"))
    assert TRACEPARENT.match(garbage.headers["traceparent"])


async def test_a_sampled_cache_hit_gets_a_server_span_and_says_so(hub: Hub, spans: InMemorySpanExporter) -> None:
    key = await hub.new_key("catalog:read")
    await hub.http.get("/v1/storefront/products/SKU-1001", headers=api(key))
    spans.clear()
    hit = await hub.http.get("/v1/storefront/products/SKU-1001", headers=api(key))
    assert hit.headers["x-cache"] == "HIT"
    (span,) = [s for s in spans.get_finished_spans() if s.kind == trace.SpanKind.SERVER]
    assert hit.headers["traceparent"] == f"00-{span.context.trace_id:032x}-{span.context.span_id:016x}-01"


def test_parse_traceparent_takes_only_valid_w3c_values() -> None:
    good = b"00-" + b"1" * 32 + b"-" + b"2" * 16 + b"-01"
    assert parse_traceparent(good) == (int("1" * 32, 16), True)
    for bad in (None, b"", good.replace(b"-01", b"-0x"), b"00-" + b"0" * 32 + b"-" + b"2" * 16 + b"-01",
                b"ff" + good[2:], good[:-1], good.replace(b"1" * 32, b"g" * 32)):
        assert parse_traceparent(bad) is None, bad


def test_json_log_lines_name_the_trace_span_and_order(spans: InMemorySpanExporter) -> None:
    out = io.StringIO()
    log = logging.getLogger("test.json")
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    log.addHandler(handler)
    try:
        with trace.get_tracer("t").start_as_current_span("work") as span, order_context("ord_123"):
            log.warning("stock low for %s", "SKU-1")
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("failed")
    finally:
        log.removeHandler(handler)
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["message"] == "stock low for SKU-1" and first["level"] == "warning" and first["logger"] == "test.json"
    assert first["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert first["span_id"] == format(span.get_span_context().span_id, "016x")
    assert first["order_id"] == "ord_123" and re.match(r"\d{4}-\d\d-\d\dT", first["time"])
    assert "order_id" not in second and "trace_id" not in second and "ValueError: boom" in second["exception"]


def test_redact_masks_keys_tokens_and_configured_secrets() -> None:
    remember_secrets(["configured-secret-0123456789"])
    key = "chub_" + "A1b2C3" * 7 + "xyz1"
    text = (f"X-API-Key: {key} Authorization: Bearer eyJhbGciOi.JIUzI1.NiJ9xx "
            f'{{"client_secret": "s3cr3t-value"}} password=hunter22 token=abc12345 configured-secret-0123456789')
    masked = redact(text)
    for secret in (key, "eyJhbGciOi", "s3cr3t-value", "hunter22", "abc12345", "configured-secret-0123456789"):
        assert secret not in masked, (secret, masked)
    assert redact("order ord_1 for SKU-1001 shipped") == "order ord_1 for SKU-1001 shipped"


async def test_an_admin_key_never_appears_in_logs_spans_or_metrics(
        hub: Hub, spans: InMemorySpanExporter, lines: io.StringIO) -> None:
    made = await hub.http.post("/admin/v1/keys", json={"consumer": "leaky", "scopes": ["admin"]},
                               headers={"X-API-Key": ADMIN_KEY})
    assert made.status_code == 201
    new_admin = made.json()["key"]
    for key in (ADMIN_KEY, new_admin):
        for path in ("/admin/v1/keys", "/admin/v1/plans", "/admin/v1/keys/nope", f"/admin/v1/keys/{key}"):
            await hub.http.get(path, headers={"X-API-Key": key})
        await hub.http.get("/admin/v1/keys", headers={"Authorization": f"Bearer {key}"})
    logging.getLogger("commerce_hub.test").warning("a careless line: key=%s header X-API-Key: %s", new_admin, ADMIN_KEY)
    metrics = (await hub.http.get("/metrics", headers={"X-API-Key": new_admin})).text
    attributes = json.dumps([dict(s.attributes or {}) for s in spans.get_finished_spans()] +
                            [s.name for s in spans.get_finished_spans()])
    logged = lines.getvalue()
    assert "a careless line" in logged and spans.get_finished_spans()
    for key in (ADMIN_KEY, new_admin):
        assert key not in logged and key not in attributes and key not in metrics


class _Receiver(BaseHTTPRequestHandler):
    bodies: list[tuple[str, bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.bodies.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


async def test_the_otlp_exporter_follows_the_otel_variables_and_ships_business_spans(
        hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Receiver.bodies = []
    assert exporter_from_env() is None  # nothing set: nothing exported
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{server.server_port}")
    exporter = exporter_from_env()
    assert type(exporter).__name__ == "OTLPSpanExporter"
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    assert exporter_from_env() is None
    setup_tracing("test", exporter=exporter, sampler=ALWAYS_ON)
    try:
        key = await hub.new_key("orders:write", "orders:read")
        order_id = (await place_order(hub, key)).json()["order_id"]
        assert telemetry.flush()
    finally:
        stop_exporting()
        server.shutdown()
    assert _Receiver.bodies and {path for path, _ in _Receiver.bodies} == {"/v1/traces"}
    shipped = {}
    for _, body in _Receiver.bodies:
        request = ExportTraceServiceRequest.FromString(body)
        for resource in request.resource_spans:
            for scope in resource.scope_spans:
                for span in scope.spans:
                    shipped[span.name] = {a.key: a.value for a in span.attributes}
    capture = shipped["orders.capture"]
    assert capture["hub.order.id"].string_value == order_id and capture["hub.sku_count"].int_value == 2
    assert capture["hub.channel"].string_value == "storefront"
