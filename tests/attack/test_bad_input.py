"""Bad input in process: every route that reads a body, fed what a careless or hostile client
sends (deep nesting, NUL, bytes that are not UTF-8, numbers past 64 bits or past a double,
10 MB, 10,000 lines, headers that are not text): always a 4xx problem, never a 5xx.

What needs a real socket (slow bodies, CL+TE, header floods, idle connections) is in
test_bad_input_wire.py, against a spawned ``hub serve``."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid

import httpx
import pytest

from shared.jsonbody import MAX_DEPTH, MalformedJson, check_depth, decode_json, too_deep
from shared.settings import SANDBOX_SECRETS
from tests.conftest import ADMIN_KEY, Hub
from tests.gateway.support import api, assert_field_errors, assert_problem

DEEP = b'{"lines": ' + b"[" * 1000 + b"]" * 1000 + b"}"  # about 2 KB, 1,000 deep
BAD_BODIES = {
    "deep-array": DEEP,
    "deep-object": b'{"a":' * 1000 + b"1" + b"}" * 1000,
    "just-deeper-than-the-bound": b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1),
    "not-utf8": b'{"lines": [{"sku": "\xff\xfe", "quantity": 1}]}',
    "nul-bytes": b'{"lines": \x00[{"sku": "SKU-1001"}]}',
    "nul-escaped": b'{"lines": [{"sku": "SKU-\\u0000", "quantity": 1}], "customer_id": "\\u0000"}',
    "int-past-64-bits": b'{"lines": [{"sku": "SKU-1001", "quantity": 123456789012345678901234567890}]}',
    "double-overflow": b'{"lines": [{"sku": "SKU-1001", "quantity": 1e400}]}',
    "truncated": b'{"lines": [{"sku": "SKU-1001", ',
    "empty-object-nesting": b"{}" * 5000,
}
STOREFRONT = ["/v1/storefront/price-availability", "/v2/storefront/price-availability", "/v1/storefront/orders",
              "/v1/storefront/returns"]
ADMIN = [("POST", "/admin/v1/keys"), ("PUT", "/admin/v1/plans/standard"), ("POST", "/admin/v1/cache/purge")]
SANDBOX = [("POST", "/sandbox/wms/stock"), ("PUT", "/sandbox/erp/faults"), ("PUT", "/sandbox/erp/items/SKU-1001/price"),
           ("PUT", "/sandbox/erp/customers/CUST-ACME/credit"),
           ("PUT", "/sandbox/erp/customers/CUST-ACME/item-prices/SKU-1001"),
           ("POST", "/sandbox/shopify/orders"), ("POST", "/sandbox/wms/ship"),
           ("POST", "/sandbox/erp/api/v1/salesOrders"), ("POST", "/sandbox/wms/api/v2/fulfillment_requests"),
           ("POST", "/sandbox/payments/v1/authorizations"),
           ("POST", "/sandbox/shopify/admin/api/2024-10/inventory_levels/set.json")]


def assert_4xx(response: httpx.Response, *case: str) -> None:
    assert 400 <= response.status_code < 500, (*case, response.status_code, response.text[:300])


def assert_4xx_problem(response: httpx.Response, *case: str) -> None:
    assert_4xx(response, *case)
    assert response.headers["content-type"] == "application/problem+json", (*case, response.text[:300])
    assert {"type", "title", "status", "detail", "code", "trace_id"} <= response.json().keys(), case


def backend_signed(source: str, body: bytes) -> dict[str, str]:
    digest = hmac.new(SANDBOX_SECRETS[source].encode(), body, hashlib.sha256).hexdigest()
    return {"X-Signature": f"sha256={digest}", "Content-Type": "application/json"}


def shopify_signed(body: bytes, **extra: str | bytes) -> dict[str, str | bytes]:
    digest = base64.b64encode(hmac.new(SANDBOX_SECRETS["shopify"].encode(), body, hashlib.sha256).digest()).decode()
    return {"X-Shopify-Topic": "orders/create", "X-Shopify-Hmac-Sha256": digest,
            "X-Shopify-Webhook-Id": str(uuid.uuid4()), "Content-Type": "application/json", **extra}


@pytest.fixture
async def key(hub: Hub) -> str:
    return await hub.new_key("catalog:read", "customers:any", "orders:write", "orders:read", "returns:write")


# -- the decode helper itself ------------------------------------------------------------------

@pytest.mark.parametrize("body", [b"[" * 65 + b"]" * 65, b'{"a":' * 65 + b"1" + b"}" * 65, b"[" * 100_000])
def test_nesting_past_the_bound_is_malformed_json(body: bytes) -> None:
    assert too_deep(body)
    with pytest.raises(MalformedJson):
        decode_json(body)


@pytest.mark.parametrize("body", [b"[" * 64 + b"]" * 64, b"[" + b"[[]]," * 50_000 + b"1]", b'["' + b"[" * 500 + b'"]',
                                  b'["\\"[[[[' + b"[" * 500 + b'"]'])
def test_nesting_at_the_bound_and_brackets_in_strings_pass(body: bytes) -> None:
    check_depth(body)
    assert decode_json(body) is not None


@pytest.mark.parametrize("body", [b"\xff", b'"\xc3"', b"[1,", b"", b"nul\x00", b"1e400"])
def test_every_decode_failure_is_malformed_json_or_a_validation_error(body: bytes) -> None:
    import msgspec

    with pytest.raises((MalformedJson, msgspec.ValidationError)):
        decode_json(body)


# -- the routes ----------------------------------------------------------------------------------

async def test_storefront_bodies_that_are_not_good_json_are_4xx_problems(hub: Hub, key: str) -> None:
    for path in STOREFRONT:
        for name, body in BAD_BODIES.items():
            response = await hub.http.post(path, content=body, headers=api(key, **{"Idempotency-Key": uuid.uuid4().hex}))
            assert_4xx_problem(response, path, name)


async def test_a_2kb_body_nested_1000_deep_is_400_malformed_json(hub: Hub, key: str) -> None:
    for path in ("/v1/storefront/price-availability", "/v2/storefront/price-availability"):
        assert_problem(await hub.http.post(path, content=DEEP, headers=api(key)), 400, "malformed_json")


async def test_admin_bodies_that_are_not_good_json_are_4xx_problems(hub: Hub) -> None:
    for method, path in ADMIN:
        for name, body in BAD_BODIES.items():
            response = await hub.http.request(method, path, content=body, headers=api(ADMIN_KEY))
            assert_4xx_problem(response, path, name)


async def test_sandbox_bodies_that_are_not_good_json_are_4xx(hub: Hub) -> None:
    for method, path in SANDBOX:
        for name, body in BAD_BODIES.items():
            response = await hub.http.request(method, path, content=body, headers={"Content-Type": "application/json"})
            assert_4xx(response, path, name)


async def test_a_deep_body_on_a_sandbox_control_is_a_400_problem(hub: Hub) -> None:
    assert_problem(await hub.http.post("/sandbox/wms/stock", content=DEEP), 400, "malformed_json")


async def test_signed_hooks_that_are_not_good_json_are_400(hub: Hub) -> None:
    for source in ("wms", "pos", "erp", "shopify"):
        for name, body in BAD_BODIES.items():
            headers = shopify_signed(body) if source == "shopify" else backend_signed(source, body)
            response = await hub.http.post(f"/hooks/{source}", content=body, headers=headers)
            assert (response.status_code, response.json().get("code")) == (400, "malformed_event"), (source, name)


async def test_a_shopify_header_that_is_not_ascii_after_a_valid_hmac_is_400(hub: Hub) -> None:
    body = b'{"id": 1}'
    for header in ("X-Shopify-Topic", "X-Shopify-Webhook-Id", "X-Shopify-Shop-Domain"):
        response = await hub.http.post("/hooks/shopify", content=body,
                                       headers=shopify_signed(body, **{header: b"caf\xe9-\xff"}))
        assert_problem(response, 400, "malformed_event")


HEADERS = ["X-API-Key", "Authorization", "Idempotency-Key", "X-Request-ID", "traceparent", "Origin", "If-None-Match",
           "Content-Type", "X-Hub-Principal", "Access-Control-Request-Method"]
ROUTES = [("GET", "/v1/storefront/products/SKU-1001"), ("POST", "/v1/storefront/orders"), ("POST", "/admin/v1/keys"),
          ("POST", "/hooks/wms"), ("POST", "/sandbox/wms/stock"), ("POST", "/oauth/token"), ("GET", "/health/ready"),
          ("OPTIONS", "/v1/storefront/products/SKU-1001")]


async def test_latin1_bytes_in_any_header_never_give_a_5xx(hub: Hub, key: str) -> None:
    for header in HEADERS:
        for method, path in ROUTES:
            headers: dict[str, str | bytes] = {"X-API-Key": key, "Idempotency-Key": uuid.uuid4().hex,
                                               header: b"\xe9t\xe9-\xff\xfe"}
            response = await hub.http.request(method, path, headers=headers, content=b"{}")
            assert response.status_code < 500, (header, method, path, response.status_code, response.text[:300])


async def test_a_10mb_body_is_413(hub: Hub, key: str) -> None:
    body = b'{"lines": [' + b" " * (10 * 1024 * 1024) + b"]}"
    for path, headers in (("/v1/storefront/price-availability", api(key)), ("/admin/v1/keys", api(ADMIN_KEY)),
                          ("/hooks/wms", backend_signed("wms", body)), ("/sandbox/wms/stock", {})):
        assert_problem(await hub.http.post(path, content=body, headers=headers), 413, "payload_too_large")


async def test_a_10mb_streamed_body_without_length_is_refused_unread_on_the_sandbox_too(hub: Hub) -> None:
    """A body without Content-Length (chunked) is refused at the edge before a byte of it is read."""
    async def chunks():  # noqa: ANN202
        for _ in range(160):
            yield b" " * 65536

    response = await hub.http.post("/sandbox/wms/stock", content=chunks())
    assert_problem(response, 411, "length_required")
    assert response.headers["connection"] == "close"


async def test_a_basket_of_10000_lines_is_422_at_once(hub: Hub, key: str) -> None:
    lines = [{"sku": f"SKU-{i}", "quantity": 1} for i in range(10_000)]
    response = await hub.http.post("/v1/storefront/price-availability", json={"lines": lines}, headers=api(key),
                                   timeout=10)
    assert_field_errors(response, "lines")


@pytest.mark.parametrize("seconds", [10**12, 2**63, 10**30, 10 * 365 * 86400 + 1])
async def test_a_key_expiry_past_ten_years_is_422_with_errors(hub: Hub, seconds: int) -> None:
    response = await hub.http.post("/admin/v1/keys", headers=api(ADMIN_KEY), content=json.dumps(
        {"consumer": "x", "scopes": ["catalog:read"], "expires_in_seconds": seconds}))
    assert_field_errors(response, "expires_in_seconds")


async def test_a_key_expiry_of_ten_years_is_accepted(hub: Hub) -> None:
    response = await hub.http.post("/admin/v1/keys", headers=api(ADMIN_KEY), json={
        "consumer": "x", "scopes": ["catalog:read"], "expires_in_seconds": 10 * 365 * 86400})
    assert response.status_code == 201, response.text


async def test_content_length_with_transfer_encoding_in_the_scope_is_400_and_closes(hub: Hub, key: str) -> None:
    """The hub's server refuses both framings before the edge (test_bad_input_wire.py); the edge
    refuses them too, whatever server hands it such a request."""
    response = await hub.http.post("/v1/storefront/price-availability", content=b'{"lines": []}',
                                   headers=api(key, **{"Transfer-Encoding": "chunked"}))
    assert_problem(response, 400, "bad_framing")
    assert response.headers["connection"] == "close"
