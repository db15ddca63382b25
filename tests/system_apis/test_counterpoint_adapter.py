"""The NCR Counterpoint stock adapter's wire (Basic company.user auth, APIKey, one GET per item
and location, 404 as no row) and how ``classify`` reads Counterpoint's ``{ErrorCode, Message}``."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import httpx
import pytest

from shared.errors import BackendError, BackendThrottled, BackendUnavailable, NotFound
from shared.models import StockLevel
from system_apis.counterpoint import client as cp


def _row(item: str, loc: str, on_hand: float, avail: float) -> httpx.Response:
    return httpx.Response(200, json={"IM_INV": {"ITEM_NO": item, "LOC_ID": loc, "QTY_ON_HND": on_hand,
                                                "QTY_AVAIL": avail, "QTY_COMMIT": on_hand - avail,
                                                "RS_UTC_DT": "2026-11-22T10:00:00.1234567", "IM_INV_CELL": []},
                                     "ErrorCode": "SUCCESS"})


def _error(status: int, code: str) -> httpx.Response:
    return httpx.Response(status, json={"ErrorCode": code, "Message": "Vendor message"})


def test_auth_headers_are_basic_company_dot_user_and_the_api_key() -> None:
    headers = cp.auth_headers("DEMOGOLF", "MGR", "pw:1", "key-1")
    assert base64.b64decode(headers["Authorization"].removeprefix("Basic ")).decode() == "DEMOGOLF.MGR:pw:1"
    assert headers["APIKey"] == "key-1"


async def test_one_get_per_item_and_location_and_404_is_no_row(wire) -> None:
    w = wire("counterpoint", cp.classify, _row("SKU-1", "NYC", 5, 4), _error(404, "ITEM_NOT_FOUND"),
             _row("SKU-1", "BOS", 2.0, 2.0), _error(404, "ITEM_NOT_FOUND"))
    adapter = cp.CounterpointStockAdapter(w.http, locations=("NYC", "BOS"))

    levels = await adapter.get_stock(["SKU-1", "SKU 2/x", "SKU-1"])

    stamp = datetime(2026, 11, 22, 10, 0, 0, 123456, tzinfo=UTC)
    assert levels == [StockLevel(sku="SKU-1", location="STORE-NYC", on_hand=5, available=4,
                                 sequence=int(stamp.timestamp() * 1_000_000), as_of=stamp),
                      StockLevel(sku="SKU-1", location="STORE-BOS", on_hand=2, available=2,
                                 sequence=int(stamp.timestamp() * 1_000_000), as_of=stamp)]
    assert sorted(r.url.raw_path.decode() for r in w.requests) == [
        "/sandbox/counterpoint/Item/SKU%202%2Fx/Inventory/BOS", "/sandbox/counterpoint/Item/SKU%202%2Fx/Inventory/NYC",
        "/sandbox/counterpoint/Item/SKU-1/Inventory/BOS", "/sandbox/counterpoint/Item/SKU-1/Inventory/NYC"]


async def test_an_answer_whose_error_code_is_not_success_is_a_permanent_error(wire) -> None:
    body = _row("SKU-1", "NYC", 1, 1).json() | {"ErrorCode": "INVALID_REQUEST"}
    w = wire("counterpoint", cp.classify, httpx.Response(200, json=body))
    with pytest.raises(BackendError) as caught:
        await cp.CounterpointStockAdapter(w.http).get_stock(["SKU-1"])
    assert caught.value.extra["vendor_code"] == "INVALID_REQUEST"


@pytest.mark.parametrize(("answer", "error"), [
    (_error(429, "TOO_MANY_REQUESTS"), BackendThrottled),
    (_error(500, "INTERNAL_ERROR"), BackendUnavailable),
    (httpx.Response(503, text="<html>down</html>"), BackendUnavailable),
    (_error(404, "ITEM_NOT_FOUND"), NotFound),
    (_error(401, "UNAUTHORIZED"), BackendError),
    (_error(403, "INVALID_APIKEY"), BackendError),
    (_error(400, "INVALID_REQUEST"), BackendError),
], ids=["429", "500", "html-503", "404", "401", "403", "400"])
def test_classify(answer: httpx.Response, error: type) -> None:
    answer.request = httpx.Request("GET", "http://cp.test/")
    with pytest.raises(error) as caught:
        cp.classify(answer)
    if error is BackendThrottled:
        assert caught.value.retry_after == cp.THROTTLE_WAIT
    if error is BackendError:
        assert not isinstance(caught.value, BackendUnavailable)
        assert caught.value.extra["vendor_code"] == answer.json()["ErrorCode"]
        assert "Vendor message" not in f"{caught.value} {caught.value.detail} {caught.value.extra}"
