"""``ErpHttpAdapter`` over CloudERP-shaped JSON served by a MockTransport."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from shared.errors import BackendError, BackendThrottled, BackendUnavailable, NotFound
from shared.models import ContractPrices, Customer, Item, PriceBreak
from system_apis.erp.client import ErpHttpAdapter, classify

DRILL = {
    "itemId": "SKU-1001",
    "displayName": "Cordless Drill 18V",
    "basePrice": "129.00",
    "currencyCode": "USD",
    "itemStatus": "ACTIVE",
    "finalSale": False,
    "quantityPricing": [{"minQuantity": 50, "unitPrice": "109.00"}, {"minQuantity": 10, "unitPrice": "119.00"}],
    "lastModified": "2026-11-22T10:00:00Z",
}
LIGHT = {**DRILL, "itemId": "SKU-1004", "itemStatus": "DISCONTINUED", "finalSale": True, "quantityPricing": []}
MISSING = httpx.Response(404, json={"error": {"code": "RCRD_DSNT_EXIST", "message": "no record"}})


def ok(body: object) -> httpx.Response:
    return httpx.Response(200, json=body)


def throttle(status: int, code: str = "SSS_REQUEST_LIMIT_EXCEEDED") -> httpx.Response:
    return httpx.Response(status, headers={"Retry-After": "1"}, json={"error": {"code": code, "message": "slow down"}})


@pytest.fixture
def erp(wire):
    def make(*answers):
        w = wire("erp", classify, *answers)
        return ErpHttpAdapter(w.http), w

    return make


async def test_get_item_maps_every_field(erp) -> None:
    adapter, w = erp(ok(DRILL))
    assert await adapter.get_item("SKU-1001") == Item(
        sku="SKU-1001",
        name="Cordless Drill 18V",
        currency="USD",
        list_price=Decimal("129.00"),
        orderable=True,
        final_sale=False,
        breaks=(
            PriceBreak(min_quantity=10, unit_price=Decimal("119.00")),
            PriceBreak(min_quantity=50, unit_price=Decimal("109.00")),
        ),
        modified_at=datetime(2026, 11, 22, 10, 0, tzinfo=UTC),
    )
    assert w.requests[0].url.path == "/sandbox/erp/api/v1/items/SKU-1001"


async def test_discontinued_is_not_orderable(erp) -> None:
    adapter, _ = erp(ok(LIGHT))
    item = await adapter.get_item("SKU-1004")
    assert (item.orderable, item.final_sale, item.breaks) == (False, True, ())


async def test_sku_is_quoted_into_the_path(erp) -> None:
    adapter, w = erp(ok(DRILL))
    await adapter.get_item("../customers/X")
    assert w.requests[0].url.raw_path == b"/sandbox/erp/api/v1/items/..%2Fcustomers%2FX"


async def test_list_items_maps_has_more_to_next_offset(erp) -> None:
    page = {"items": [DRILL, LIGHT], "offset": 2, "limit": 2, "totalResults": 5, "hasMore": True}
    adapter, w = erp(ok(page), ok({**page, "hasMore": False}))
    first = await adapter.list_items(offset=2, limit=2)
    assert [i.sku for i in first.items] == ["SKU-1001", "SKU-1004"] and first.next_offset == 4
    assert dict(w.requests[0].url.params) == {"offset": "2", "limit": "2"}
    assert (await adapter.list_items(offset=2, limit=2)).next_offset is None


async def test_get_customer_maps_every_field(erp) -> None:
    adapter, w = erp(
        ok({"customerId": "CUST-HOLD", "companyName": "Hold Co", "terms": "NET30",
            "creditLimit": "1000.00", "creditHold": True, "currencyCode": "USD"})
    )
    assert await adapter.get_customer("CUST-HOLD") == Customer(
        customer_id="CUST-HOLD", name="Hold Co", terms="NET30", currency="USD",
        credit_limit=Decimal("1000.00"), credit_hold=True,
    )
    assert w.requests[0].url.path.endswith("/api/v1/customers/CUST-HOLD")


async def test_get_contract_prices(erp) -> None:
    adapter, w = erp(ok({"customerId": "CUST-ACME", "itemPrices": [{"itemId": "SKU-1001", "unitPrice": "99.00"}]}))
    assert await adapter.get_contract_prices("CUST-ACME") == ContractPrices(
        customer_id="CUST-ACME", prices={"SKU-1001": Decimal("99.00")}
    )
    assert w.requests[0].url.path.endswith("/api/v1/customers/CUST-ACME/item-prices")


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda a: a.get_item("SKU-9"), "unknown_sku"),
        (lambda a: a.get_customer("CUST-9"), "unknown_customer"),
        (lambda a: a.get_contract_prices("CUST-9"), "unknown_customer"),
    ],
)
async def test_404_is_not_found_with_the_adapters_code(erp, call, code) -> None:
    adapter, w = erp(MISSING)
    with pytest.raises(NotFound) as caught:
        await call(adapter)
    assert caught.value.code == code and len(w.requests) == 1
    assert "no record" not in caught.value.detail


async def test_429_with_retry_after_is_retried_then_succeeds(erp) -> None:
    adapter, w = erp(throttle(429), ok(DRILL))
    assert (await adapter.get_item("SKU-1001")).sku == "SKU-1001"
    assert len(w.requests) == 2 and w.sleeps[0] >= 1.0


async def test_500_repeatedly_is_unavailable_after_the_policy(erp) -> None:
    adapter, w = erp(httpx.Response(500, json={"error": "internal_error"}))
    with pytest.raises(BackendUnavailable) as caught:
        await adapter.get_item("SKU-1001")
    assert type(caught.value) is BackendUnavailable and caught.value.detail == "ERP answered 500"
    assert len(w.requests) == 3
    assert w.guard.snapshot().error_rate == 1.0


@pytest.mark.parametrize(
    ("status", "code"), [(400, "SSS_REQUEST_LIMIT_EXCEEDED"), (403, "CONCURRENCY_LIMIT_EXCEEDED")]
)
async def test_netsuite_style_limit_errors_are_throttles(erp, status, code) -> None:
    adapter, w = erp(throttle(status, code))
    with pytest.raises(BackendThrottled) as caught:
        await adapter.get_item("SKU-1001")
    assert caught.value.retry_after == 1.0 and len(w.requests) == 3
    assert w.guard.snapshot().throttled == 3


async def test_other_400_is_permanent(erp) -> None:
    adapter, w = erp(throttle(400, "INVALID_FLD_VALUE"))
    with pytest.raises(BackendError) as caught:
        await adapter.get_item("SKU-1001")
    assert type(caught.value) is BackendError and caught.value.detail == "ERP answered 400"
    assert len(w.requests) == 1 and w.guard.breaker.state == "closed"


async def test_undecodable_body_is_backend_error(erp) -> None:
    adapter, w = erp(ok({"itemId": "SKU-1001", "basePrice": "lots"}))
    with pytest.raises(BackendError) as caught:
        await adapter.get_item("SKU-1001")
    assert type(caught.value) is BackendError and caught.value.detail == "unexpected ERP response"
    assert len(w.requests) == 1


async def test_span_per_call(erp, exporter) -> None:
    adapter, _ = erp(ok({"customerId": "CUST-ACME", "itemPrices": []}))
    await adapter.get_contract_prices("CUST-ACME")
    (span,) = exporter.get_finished_spans()
    assert span.name == "erp.get_contract_prices"
    assert span.attributes["hub.customer_id"] == "CUST-ACME"
    assert span.attributes["hub.backend"] == "erp"
    assert span.attributes["http.response.status_code"] == 200
