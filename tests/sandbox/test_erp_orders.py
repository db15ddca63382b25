"""CloudERP sandbox transactions: sales orders and credit memos, booked exactly once, and their views."""

from __future__ import annotations

import asyncio

import httpx
import pytest

API = "/sandbox/erp/api/v1"
ORDER = {
    "externalRef": "ord_1",
    "channel": "storefront",
    "channelOrderRef": "WEB-5531",
    "customerId": "CUST-ACME",
    "poNumber": None,
    "currencyCode": "USD",
    "lines": [{"itemId": "SKU-1001", "quantity": 2, "unitPrice": "99.00"}, {"itemId": "SKU-1002", "quantity": 1, "unitPrice": "24.5"}],
    "total": "222.50",
    "shipTo": {"addressee": "Acme Receiving", "addr1": "1 Main St", "city": "Springfield", "state": "IL", "zip": "62701",
               "country": "US"},
}
MEMO = {"externalRef": "rma_1", "createdFrom": "SO-100001", "orderExternalRef": "ord_1", "customerId": "CUST-ACME",
        "currencyCode": "USD", "amount": "99.00", "lines": [{"itemId": "SKU-1001", "quantity": 1, "unitPrice": "99.00"}]}


async def post_order(client: httpx.AsyncClient, body: dict = ORDER, key: str | None = "ord_1") -> httpx.Response:
    return await client.post(f"{API}/salesOrders", json=body, headers={"Idempotency-Key": key} if key else {})


async def orders_view(client: httpx.AsyncClient, **params: str) -> list[dict]:
    response = await client.get("/sandbox/erp/sales-orders", params=params)
    assert response.status_code == 200
    return response.json()["items"]


async def test_a_sales_order_is_booked_open_with_its_lines(client: httpx.AsyncClient) -> None:
    response = await post_order(client)

    assert response.status_code == 201
    body = response.json()
    assert body["salesOrderId"] == "SO-100001" and body["status"] == "OPEN"
    assert (body["externalRef"], body["channelOrderRef"], body["customerId"], body["total"]) == (
        "ord_1", "WEB-5531", "CUST-ACME", "222.50")
    assert body["lines"] == [
        {"lineNumber": 1, "itemId": "SKU-1001", "quantity": 2, "unitPrice": "99.00", "amount": "198.00"},
        {"lineNumber": 2, "itemId": "SKU-1002", "quantity": 1, "unitPrice": "24.50", "amount": "24.50"},
    ]
    assert body["shipTo"]["addr1"] == "1 Main St"
    assert (await client.get(f"{API}/salesOrders/SO-100001")).json() == body


async def test_a_repeat_by_key_or_by_external_ref_answers_the_first_and_books_nothing(client: httpx.AsyncClient) -> None:
    first = await post_order(client)
    same_key = await post_order(client, {**ORDER, "externalRef": "ord_other"}, key="ord_1")
    same_ref = await post_order(client, ORDER, key="another-key")
    no_key = await post_order(client, ORDER, key=None)

    assert first.status_code == 201
    assert [r.status_code for r in (same_key, same_ref, no_key)] == [200, 200, 200]
    assert {r.json()["salesOrderId"] for r in (first, same_key, same_ref, no_key)} == {"SO-100001"}
    assert len(await orders_view(client)) == 1


async def test_concurrent_identical_posts_book_exactly_one_order(client: httpx.AsyncClient) -> None:
    responses = await asyncio.gather(*(post_order(client, key=None) for _ in range(10)))

    assert sorted(r.status_code for r in responses) == [200] * 9 + [201]
    assert len(await orders_view(client, external_ref="ord_1")) == 1


async def test_the_view_finds_orders_by_external_ref_or_channel_ref(client: httpx.AsyncClient) -> None:
    await post_order(client)
    await post_order(client, {**ORDER, "externalRef": "ord_2", "channelOrderRef": "WEB-9", "customerId": None}, key=None)

    by_ref = await orders_view(client, external_ref="ord_1")
    by_channel = await orders_view(client, channel_order_ref="WEB-9")

    assert [o["erp_order_number"] for o in by_ref] == ["SO-100001"]
    assert by_ref[0] == {
        "external_ref": "ord_1", "erp_order_number": "SO-100001", "channel": "storefront",
        "channel_order_ref": "WEB-5531", "customer_id": "CUST-ACME", "po_number": None, "currency": "USD",
        "lines": [{"sku": "SKU-1001", "quantity": 2, "unit_price": "99.00"},
                  {"sku": "SKU-1002", "quantity": 1, "unit_price": "24.50"}],
        "total": "222.50", "status": "open", "created_at": by_ref[0]["created_at"],
    }
    assert [(o["external_ref"], o["customer_id"]) for o in by_channel] == [("ord_2", None)]
    assert await orders_view(client, external_ref="ord_nope") == []


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"total": "1.00"}, "INVALID_FLD_VALUE"),
        ({"lines": [{"itemId": "SKU-9999", "quantity": 1, "unitPrice": "1.00"}], "total": "1.00"}, "INVALID_KEY_OR_REF"),
        ({"customerId": "CUST-NOPE"}, "INVALID_KEY_OR_REF"),
        ({"lines": [{"itemId": "SKU-1001", "quantity": 0, "unitPrice": "99.00"}], "total": "0.00"}, "INVALID_FLD_VALUE"),
        ({"lines": []}, "INVALID_FLD_VALUE"),
        ({"total": 222.5}, "INVALID_FLD_VALUE"),
        ({"currencyCode": "usd"}, "INVALID_FLD_VALUE"),
        ({"externalRef": None}, "INVALID_FLD_VALUE"),
        ({"discount": "5.00"}, "INVALID_FLD_VALUE"),
    ],
)
async def test_invalid_orders_are_400_with_an_error_code(client: httpx.AsyncClient, change: dict, code: str) -> None:
    response = await post_order(client, {**ORDER, **change}, key=None)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == code and response.json()["error"]["message"]
    assert await orders_view(client) == []


async def test_missing_fields_and_malformed_json_are_400(client: httpx.AsyncClient) -> None:
    missing = await post_order(client, {"externalRef": "ord_1"}, key=None)
    malformed = await client.post(f"{API}/salesOrders", content=b"{not json")

    assert (missing.status_code, missing.json()["error"]["code"]) == (400, "MISSING_REQD_FLD")
    assert (malformed.status_code, malformed.json()["error"]["code"]) == (400, "INVALID_REQUEST")


async def test_unknown_sales_order_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{API}/salesOrders/SO-999999")

    assert response.status_code == 404 and response.json()["error"]["code"] == "RCRD_DSNT_EXIST"


async def test_a_credit_memo_is_booked_once_per_rma_and_voided_idempotently(client: httpx.AsyncClient) -> None:
    await post_order(client)
    first = await client.post(f"{API}/creditMemos", json=MEMO, headers={"Idempotency-Key": "rma_1"})
    repeat = await client.post(f"{API}/creditMemos", json={**MEMO, "amount": "5.00"})
    voided = await client.post(f"{API}/creditMemos/CM-100001/void")
    again = await client.post(f"{API}/creditMemos/CM-100001/void")
    view = (await client.get("/sandbox/erp/credit-memos", params={"external_ref": "rma_1"})).json()["items"]

    assert first.status_code == 201
    assert {k: first.json()[k] for k in ("creditMemoId", "externalRef", "status", "amount", "createdFrom")} == {
        "creditMemoId": "CM-100001", "externalRef": "rma_1", "status": "OPEN", "amount": "99.00",
        "createdFrom": "SO-100001"}
    assert (repeat.status_code, repeat.json()["amount"]) == (200, "99.00")
    assert (voided.status_code, voided.json()["status"]) == (200, "VOID")
    assert (again.status_code, again.json()["voidedAt"]) == (200, voided.json()["voidedAt"])
    assert [(m["credit_memo_id"], m["status"], m["amount"], m["erp_order_number"], m["order_ref"]) for m in view] == [
        ("CM-100001", "void", "99.00", "SO-100001", "ord_1")]


async def test_an_open_credit_memo_shows_open(client: httpx.AsyncClient) -> None:
    await client.post(f"{API}/creditMemos", json={**MEMO, "createdFrom": None})

    view = (await client.get("/sandbox/erp/credit-memos", params={"external_ref": "rma_1"})).json()["items"]
    other = (await client.get("/sandbox/erp/credit-memos", params={"external_ref": "rma_2"})).json()["items"]

    assert [(m["status"], m["amount"]) for m in view] == [("open", "99.00")] and other == []


@pytest.mark.parametrize(
    ("change", "code"),
    [({"createdFrom": "SO-999999"}, "INVALID_KEY_OR_REF"), ({"amount": "0.00"}, "INVALID_FLD_VALUE"),
     ({"customerId": "CUST-NOPE"}, "INVALID_KEY_OR_REF"), ({"amount": "-1"}, "INVALID_FLD_VALUE")],
)
async def test_invalid_credit_memos_are_400(client: httpx.AsyncClient, change: dict, code: str) -> None:
    await post_order(client)

    response = await client.post(f"{API}/creditMemos", json={**MEMO, **change})

    assert (response.status_code, response.json()["error"]["code"]) == (400, code)
    assert (await client.get("/sandbox/erp/credit-memos")).json() == {"items": []}


async def test_voiding_an_unknown_credit_memo_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post(f"{API}/creditMemos/CM-999999/void")

    assert response.status_code == 404 and response.json()["error"]["code"] == "RCRD_DSNT_EXIST"


async def test_transactions_are_faulted_like_every_vendor_call(client: httpx.AsyncClient) -> None:
    await client.put("/sandbox/erp/faults", json={"outage": True})
    down = await post_order(client)
    await client.delete("/sandbox/erp/faults")
    up = await post_order(client)

    assert (down.status_code, up.status_code) == (503, 201)
    assert len(await orders_view(client)) == 1
