"""The order intake in front of the channels' Litestar apps: a well-formed order is served
by it with the route's exact answer; anything else reaches the route and gets its answer."""

from __future__ import annotations

import uuid

import httpx
import pytest

from experience_apis.order_intake import OrderIntake

ORDER = {"lines": [{"sku": "SKU-1003", "quantity": 1, "unit_price": "8.75"}],
         "payment": {"method": "card", "amount": "8.75", "authorization_id": "pay_auth_123"}}


def intake_of(hub, prefix: str) -> OrderIntake:  # noqa: ANN001
    for route, _ in hub.app.edge._routes:  # noqa: SLF001 - the mounted app under test
        if route.prefix.rstrip("/") == prefix:
            assert isinstance(route.app, OrderIntake)
            return route.app
    raise AssertionError(f"no route {prefix}")


class Routed:
    """The Litestar app behind an intake, counting the requests that reached it."""

    def __init__(self, app) -> None:  # noqa: ANN001
        self.app, self.paths = app, []

    def __getattr__(self, name: str) -> object:
        return getattr(self.app, name)

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        self.paths.append(scope["path"])
        await self.app(scope, receive, send)


def routed(intake: OrderIntake) -> Routed:
    intake._app = Routed(intake._app)  # noqa: SLF001
    return intake._app  # noqa: SLF001


async def post(hub, key: str, body: object, path: str = "/v1/storefront/orders", **headers: str) -> httpx.Response:  # noqa: ANN001
    return await hub.http.post(path, json=body, headers={"X-API-Key": key, **headers})


async def test_the_intake_answers_exactly_as_the_route(hub) -> None:  # noqa: ANN001
    key = await hub.new_key("orders:write", "orders:read")
    intake = intake_of(hub, "/v1/storefront")
    route = routed(intake)
    lean = await post(hub, key, ORDER, **{"Idempotency-Key": uuid.uuid4().hex})
    assert route.paths == []  # served by the intake
    intake._path = "/not-served"  # noqa: SLF001 - every request now goes to the Litestar route
    plain = await post(hub, key, ORDER, **{"Idempotency-Key": uuid.uuid4().hex})
    assert route.paths == ["/v1/storefront/orders"]
    assert lean.status_code == plain.status_code == 201
    assert lean.json().keys() == plain.json().keys()
    assert {k: v for k, v in lean.json().items() if k not in ("order_id", "created_at")} == \
        {k: v for k, v in plain.json().items() if k not in ("order_id", "created_at")}
    assert lean.json()["total"] == "8.75" and lean.json()["lines"][0]["extended_price"] == "8.75"
    for name in ("content-type", "x-request-id", "ratelimit", "ratelimit-policy"):
        assert (name in lean.headers) == (name in plain.headers), name
    assert lean.headers["content-type"] == plain.headers["content-type"]
    assert lean.headers["location"] == f"/v1/storefront/orders/{lean.json()['order_id']}"
    assert int(lean.headers["content-length"]) == len(lean.content)


async def test_a_replay_through_the_intake_says_so(hub) -> None:  # noqa: ANN001
    key, idem = await hub.new_key("orders:write"), uuid.uuid4().hex
    first = await post(hub, key, ORDER, **{"Idempotency-Key": idem})
    again = await post(hub, key, ORDER, **{"Idempotency-Key": idem})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["order_id"] == first.json()["order_id"]
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers


@pytest.mark.parametrize("case, status, code", [
    ("no_key", 400, "idempotency_key_missing"),
    ("long_key", 400, "idempotency_key_missing"),
    ("malformed", 400, "malformed_json"),
    ("wrong_type", 422, "validation_failed"),
    ("unknown_field", 422, "validation_failed"),
    ("other_customer", 403, "customer_forbidden"),
    ("no_scope", 403, "insufficient_scope"),
])
async def test_what_the_intake_does_not_serve_gets_the_routes_answer(hub, case: str, status: int, code: str) -> None:  # noqa: ANN001
    key = await hub.new_key("catalog:read" if case == "no_scope" else "orders:write")
    route = routed(intake_of(hub, "/v1/storefront"))
    headers = {"X-API-Key": key, "Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex}
    body = httpx.Request("POST", "/", json=ORDER).content
    if case == "no_key":
        del headers["Idempotency-Key"]
    elif case == "long_key":
        headers["Idempotency-Key"] = "k" * 256
    elif case == "malformed":
        body = b'{"lines": ['
    elif case == "wrong_type":
        body = httpx.Request("POST", "/", json={**ORDER, "lines": [{"sku": "SKU-1003", "quantity": "1"}]}).content
    elif case == "unknown_field":
        body = httpx.Request("POST", "/", json={**ORDER, "coupon": "FREE"}).content
    elif case == "other_customer":
        body = httpx.Request("POST", "/", json={**ORDER, "customer_id": "CUST-ACME"}).content
    answer = await hub.http.post("/v1/storefront/orders", content=body, headers=headers)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == code
    if status == 422:
        assert answer.json()["errors"]
    assert route.paths == ["/v1/storefront/orders"]  # the route answered, not the intake


async def test_a_partner_order_without_po_number_gets_the_routes_422(hub) -> None:  # noqa: ANN001
    key = await hub.new_key("orders:write", customer="CUST-ACME")
    body = {"lines": [{"sku": "SKU-1001", "quantity": 1}]}
    missing = await post(hub, key, body, path="/v1/partner/orders", **{"Idempotency-Key": uuid.uuid4().hex})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "po_number"
    placed = await post(hub, key, {**body, "po_number": f"PO-{uuid.uuid4().hex[:8]}"}, path="/v1/partner/orders",
                        **{"Idempotency-Key": uuid.uuid4().hex})
    assert placed.status_code == 201, placed.text
    assert placed.headers["location"].startswith("/v1/partner/orders/ord_")


async def test_a_refusal_of_the_order_process_is_a_problem_from_the_intake(hub) -> None:  # noqa: ANN001
    key = await hub.new_key("orders:write")
    body = {**ORDER, "lines": [{"sku": "SKU-1003", "quantity": 1, "unit_price": "1.00"}]}
    answer = await post(hub, key, body, **{"Idempotency-Key": uuid.uuid4().hex})
    assert answer.status_code == 422 and answer.json()["code"] == "price_mismatch"
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["instance"] == "/v1/storefront/orders" and answer.json()["trace_id"]
