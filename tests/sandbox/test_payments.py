"""The payment provider sandbox: authorizations, idempotent refunds within the authorized amount."""

from __future__ import annotations

import asyncio

import httpx
import pytest

API = "/sandbox/payments/v1"
REFUND = {"authorization": "pay_auth_123", "amount": "198.00", "currency": "USD"}


async def refund(client: httpx.AsyncClient, body: dict = REFUND, key: str | None = "rma_1") -> httpx.Response:
    return await client.post(f"{API}/refunds", json=body, headers={"Idempotency-Key": key} if key else {})


async def refunds_view(client: httpx.AsyncClient, **params: str) -> list[dict]:
    return (await client.get("/sandbox/payments/refunds", params=params)).json()["items"]


async def test_the_contracts_example_authorization_is_seeded(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{API}/authorizations/pay_auth_123")

    assert response.status_code == 200
    assert {k: response.json()[k] for k in ("id", "amount", "currency", "status")} == {
        "id": "pay_auth_123", "amount": "10000.00", "currency": "USD", "status": "authorized"}


async def test_authorizations_are_made_and_read(client: httpx.AsyncClient) -> None:
    made = await client.post(f"{API}/authorizations", json={"amount": "49.5", "currency": "USD"})
    read = await client.get(f"{API}/authorizations/{made.json()['id']}")

    assert made.status_code == 200 and made.json()["id"].startswith("pay_auth_")
    assert (made.json()["amount"], made.json()["status"]) == ("49.50", "authorized")
    assert read.json() == made.json()


async def test_an_unknown_authorization_is_404_resource_missing(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{API}/authorizations/pay_auth_nope")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "resource_missing"


async def test_a_refund_with_a_repeated_key_answers_the_first(client: httpx.AsyncClient) -> None:
    first = await refund(client)
    repeat = await refund(client)
    concurrent = await asyncio.gather(*(refund(client, key="rma_2") for _ in range(5)))

    assert first.status_code == repeat.status_code == 200
    body = first.json()
    assert body["id"].startswith("re_") and (body["authorization"], body["amount"], body["status"]) == (
        "pay_auth_123", "198.00", "succeeded")
    assert repeat.json() == body
    assert len({r.json()["id"] for r in concurrent}) == 1
    view = await refunds_view(client, authorization_id="pay_auth_123")
    assert [(r["refund_id"], r["amount"], r["status"], r["authorization_id"]) for r in view][0] == (
        body["id"], "198.00", "succeeded", "pay_auth_123")
    assert len(view) == 2
    auth = (await client.get(f"{API}/authorizations/pay_auth_123")).json()
    assert auth["amount_refunded"] == "396.00"


async def test_refunds_never_exceed_the_authorized_amount(client: httpx.AsyncClient) -> None:
    await refund(client, {**REFUND, "amount": "9900.00"}, key="a")

    too_much = await refund(client, {**REFUND, "amount": "100.01"}, key="b")
    exactly = await refund(client, {**REFUND, "amount": "100.00"}, key="c")

    assert too_much.status_code == 400 and too_much.json()["error"]["code"] == "amount_too_large"
    assert exactly.status_code == 200
    assert sum(float(r["amount"]) for r in await refunds_view(client)) == 10000.0


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [({**REFUND, "authorization": "pay_auth_nope"}, 404, "resource_missing"),
     ({**REFUND, "currency": "EUR"}, 400, "currency_mismatch"),
     ({**REFUND, "amount": "0.00"}, 400, "amount_too_small"),
     ({**REFUND, "amount": 198}, 400, "parameter_invalid"),
     ({"authorization": "pay_auth_123"}, 400, "parameter_invalid")],
)
async def test_refused_refunds(client: httpx.AsyncClient, body: dict, status: int, code: str) -> None:
    response = await refund(client, body, key=None)

    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert await refunds_view(client) == []


async def test_a_reused_key_with_other_parameters_is_refused(client: httpx.AsyncClient) -> None:
    await refund(client)

    response = await refund(client, {**REFUND, "amount": "1.00"})

    assert response.status_code == 400
    assert response.json()["error"] == {"type": "idempotency_error", "code": "idempotency_key_in_use",
                                        "message": response.json()["error"]["message"]}
    assert len(await refunds_view(client)) == 1


async def test_reset_forgets_refunds_and_reseeds(client: httpx.AsyncClient) -> None:
    made = (await client.post(f"{API}/authorizations", json={"amount": "5.00", "currency": "USD"})).json()
    await refund(client)

    await client.post("/sandbox/reset")

    assert await refunds_view(client) == []
    assert (await client.get(f"{API}/authorizations/{made['id']}")).status_code == 404
    assert (await client.get(f"{API}/authorizations/pay_auth_123")).json()["amount_refunded"] == "0.00"
    assert (await refund(client)).status_code == 200
