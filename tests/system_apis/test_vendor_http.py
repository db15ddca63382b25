"""The shared transport: status mapping, Retry-After, httpx errors, spans, POST."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import msgspec
import pytest
from opentelemetry.trace import StatusCode

from shared.errors import BackendError, BackendThrottled, BackendUnavailable, NotFound
from system_apis.vendor_http import parse_retry_after, raise_for_vendor_status


def classify(response: httpx.Response) -> None:
    raise_for_vendor_status("wms", response)


@pytest.mark.parametrize(
    ("status", "error", "code"),
    [
        (404, NotFound, "not_found"),
        (429, BackendThrottled, "backend_throttled"),
        (500, BackendUnavailable, "backend_unavailable"),
        (503, BackendUnavailable, "backend_unavailable"),
        (400, BackendError, "backend_error"),
        (401, BackendError, "backend_error"),
        (302, BackendError, "backend_error"),
    ],
)
def test_status_mapping_keeps_vendor_text_out(status: int, error: type, code: str) -> None:
    response = httpx.Response(status, json={"error": "secret vendor text"})
    with pytest.raises(error) as caught:
        raise_for_vendor_status("wms", response)
    assert type(caught.value) is error and caught.value.code == code
    assert "secret" not in caught.value.detail


def test_success_passes() -> None:
    raise_for_vendor_status("wms", httpx.Response(204))


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        ("0.5", 0.5),
        ("Sun, 22 Nov 2026 10:00:30 GMT", 30.0),
        ("Sun, 22 Nov 2026 09:00:00 GMT", 0.0),
        ("soon", None),
        ("nan", None),
        (None, None),
    ],
)
def test_retry_after_seconds_or_http_date(header: str | None, seconds: float | None) -> None:
    response = httpx.Response(429, headers={"Retry-After": header} if header else {})
    now = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)
    assert parse_retry_after(response, now=now) == seconds


@pytest.mark.parametrize(
    ("failure", "detail"),
    [(httpx.ConnectError("refused"), "WMS unreachable"), (httpx.ReadTimeout("slow"), "WMS timed out")],
)
async def test_httpx_failures_become_unavailable_and_are_retried(wire, failure, detail) -> None:
    w = wire("wms", classify, failure)
    with pytest.raises(BackendUnavailable) as caught:
        await w.http.get("get_stock", "/api/v2/inventory")
    assert caught.value.detail == detail and caught.value.backend == "wms"
    assert caught.value.__cause__ is failure
    assert len(w.requests) == 3


async def test_span_named_system_operation_with_attributes(wire, exporter) -> None:
    w = wire("wms", classify, httpx.Response(503), httpx.Response(200, content=b"{}"))
    assert await w.http.get("get_stock", "/api/v2/inventory", span_attributes={"hub.sku": ["SKU-1"]}) == b"{}"
    (span,) = exporter.get_finished_spans()
    assert span.name == "wms.get_stock"
    assert span.attributes["hub.sku"] == ("SKU-1",)
    assert span.attributes["http.response.status_code"] == 200
    assert span.attributes["hub.attempts"] == 2
    assert span.attributes["url.path"] == "/sandbox/wms/api/v2/inventory"


async def test_failed_span_is_marked_error_and_not_found_is_not(wire, exporter) -> None:
    w = wire("wms", classify, httpx.Response(400))
    with pytest.raises(BackendError):
        await w.http.get("get_stock", "/x")
    w = wire("wms", classify, httpx.Response(404))
    with pytest.raises(NotFound):
        await w.http.get("get_stock", "/y")
    failed, missing = exporter.get_finished_spans()
    assert failed.status.status_code is StatusCode.ERROR and failed.status.description == "backend_error"
    assert missing.status.status_code is StatusCode.UNSET


async def test_post_with_idempotency_key_is_sent_and_retried(wire) -> None:
    w = wire("erp", classify, httpx.Response(502), httpx.Response(201, content=b'{"ok":true}'))
    body = await w.http.post("post_order", "/api/v1/orders", {"id": 1}, idempotency_key="order-1")
    assert body == b'{"ok":true}' and len(w.requests) == 2
    sent = w.requests[-1]
    assert sent.method == "POST" and sent.headers["Idempotency-Key"] == "order-1"
    assert msgspec.json.decode(sent.content) == {"id": 1}


async def test_post_without_idempotency_key_is_not_retried(wire) -> None:
    w = wire("erp", classify, httpx.Response(502))
    with pytest.raises(BackendUnavailable):
        await w.http.post("post_order", "/api/v1/orders", {"id": 1})
    assert len(w.requests) == 1 and "Idempotency-Key" not in w.requests[0].headers


@pytest.mark.parametrize(("retry", "attempts"), [(True, 2), (False, 1)])
async def test_post_raw_sends_the_bytes_and_headers_as_given(wire, retry: bool, attempts: int) -> None:
    w = wire("legacy_erp", classify, httpx.Response(503), httpx.Response(200, content=b"<ok/>"))
    call = w.http.post_raw("op", "/ws/Service", b"<Envelope/>", headers={"Content-Type": "text/xml", "SOAPAction": '"x"'},
                           retry=retry)
    if retry:
        assert await call == b"<ok/>"
    else:
        with pytest.raises(BackendUnavailable):
            await call
    assert len(w.requests) == attempts
    sent = w.requests[0]
    assert (sent.content, sent.headers["Content-Type"], sent.headers["SOAPAction"]) == (b"<Envelope/>", "text/xml", '"x"')


async def test_undecodable_body_is_permanent(wire) -> None:
    class Shape(msgspec.Struct):
        data: list[int]

    w = wire("wms", classify, httpx.Response(200, content=b"<html>oops</html>"))
    with pytest.raises(BackendError) as caught:
        await w.http.get_json(Shape, "get_stock", "/api/v2/inventory")
    assert type(caught.value) is BackendError and caught.value.detail == "unexpected WMS response"
    assert len(w.requests) == 1
