"""Amazon's tokens against its sandbox: the Restricted Data Token that brings an order's ship-to
address, and the Login with Amazon refresh (one exchange for many callers, ``invalid_grant`` a
permanent and clear failure, no token ever logged)."""

from __future__ import annotations

import asyncio
import logging

import httpx
import msgspec
import pytest

from shared.errors import BackendError, BackendUnavailable
from shared.models import Address
from system_apis.adapter_options import check_options, make_adapters
from system_apis.amazon.client import SANDBOX_ACCESS_TOKEN, AmazonAdapter, access_token
from system_apis.amazon.lwa import lwa_credentials
from system_apis.sandbox.amazon.auth import CLIENT_ID, CLIENT_SECRET, LWA_CREDENTIAL, REFRESH_TOKEN
from system_apis.vendor_http import VendorHttp
from tests.commerce_hub.orders_support import until
from tests.system_apis.contracts.harness import UnderTest

ORDER = {"line_items": [{"sku": "SKU-1001", "quantity": 2, "price": "24.00"}]}
LWA_URL = "http://sandbox/sandbox/amazon/auth/o2/token"
ORDERS = {"MarketplaceIds": "ATVPDKIKX0DER", "LastUpdatedAfter": "2020-01-01T00:00:00Z"}


@pytest.fixture
async def amazon():
    under = UnderTest("amazon", "channel")
    yield under
    await under.aclose()


async def _place(under: UnderTest) -> str:
    answer = await under.control.post("/sandbox/amazon/orders", json=ORDER)
    assert answer.status_code == 201, answer.text
    return answer.json()["order"]["id"]


async def _lwa(under: UnderTest, credential: str = LWA_CREDENTIAL) -> AmazonAdapter:
    """An adapter built as the hub builds one from a refresh-form credential: no fixed token header."""
    client = httpx.AsyncClient(transport=under.transport, base_url="http://sandbox/sandbox/amazon",
                               headers=under.kind.auth(credential))
    http = VendorHttp("amazon", client, under.guard, under.kind.classify)
    options = check_options("connections.amazon-us", under.kind, {"lwa_endpoint": LWA_URL}, ValueError)
    return make_adapters(under.kind, http, options, credential)["channel"]  # type: ignore[return-value]


class Held(httpx.AsyncBaseTransport):
    """Holds listing calls signed with the first token until ``n`` of them are in flight together."""

    def __init__(self, inner: httpx.AsyncBaseTransport, n: int) -> None:
        self.inner, self.barrier, self.tokens = inner, asyncio.Barrier(n), []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        token = request.headers.get("x-amz-access-token", "")
        if "/listings/" in request.url.path:
            self.tokens.append(token)
            if token == "Atza|sandbox-lwa-1":
                await asyncio.wait_for(self.barrier.wait(), 10)
        return await self.inner.handle_async_request(request)


async def _control(under: UnderTest, **body: object) -> dict:
    answer = await under.control.post("/sandbox/amazon/lwa", json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _tokens(under: UnderTest, path: str) -> list[str]:
    return [r.headers.get("x-amz-access-token", "") for r in under.transport.sent if r.url.path.endswith(path)]


# --- Restricted data -------------------------------------------------------------------------------


async def test_an_order_comes_in_with_its_ship_to_through_one_cached_restricted_data_token(
        amazon: UnderTest) -> None:
    """Fails on main: the order came in with no ship-to, and no RDT was asked for."""
    ref = await _place(amazon)
    [order] = (await amazon.port.orders_since(None, "amazon-us")).orders
    await amazon.port.orders_since(None, "amazon-us")

    assert order.channel_order_ref == ref
    assert order.ship_to == Address(name="Jane Doe", line1="1 Main St", line2="Apt 2", city="SPRINGFIELD",
                                    region="IL", postal_code="62701-1234", country="US")
    assert order.email == "jane-doe@marketplace.amazon.com"
    [asked] = [r for r in amazon.transport.sent if r.url.path.endswith("/restrictedDataToken")]
    assert msgspec.json.decode(asked.content) == {"restrictedResources": [
        {"method": "GET", "path": "/orders/v0/orders", "dataElements": ["buyerInfo", "shippingAddress"]}]}
    polls = _tokens(amazon, "/orders/v0/orders")
    assert len(polls) == 2 and all(t.startswith("Atz.sprdt|") for t in polls)  # the RDT, never the LWA token
    assert all(t == SANDBOX_ACCESS_TOKEN for t in _tokens(amazon, "/orderItems"))


async def test_the_sandbox_shows_pii_only_to_a_live_rdt_naming_the_call(amazon: UnderTest) -> None:
    await _place(amazon)
    plain = await amazon.client.get("/orders/v0/orders", params=ORDERS)
    assert "AddressLine1" not in plain.text and "BuyerEmail" not in plain.text

    made = await amazon.client.post("/tokens/2021-03-01/restrictedDataToken", json={"restrictedResources": [
        {"method": "GET", "path": "/orders/v0/orders/{orderId}", "dataElements": ["shippingAddress"]}]})
    rdt = made.json()["restrictedDataToken"]
    assert made.status_code == 200 and made.json()["expiresIn"] == 3600
    ref = plain.json()["payload"]["Orders"][0]["AmazonOrderId"]
    one = await amazon.client.get(f"/orders/v0/orders/{ref}", headers={"x-amz-access-token": rdt})
    assert one.json()["payload"]["ShippingAddress"]["AddressLine1"] == "1 Main St"
    assert "BuyerEmail" not in one.text  # buyerInfo was not asked for
    elsewhere = await amazon.client.get("/orders/v0/orders", params=ORDERS, headers={"x-amz-access-token": rdt})
    assert elsewhere.status_code == 403 and elsewhere.json()["errors"][0]["code"] == "Unauthorized"
    forged = await amazon.client.get("/orders/v0/orders", params=ORDERS, headers={"x-sandbox-pii": "shippingAddress"})
    assert "AddressLine1" not in forged.text
    bad = await amazon.client.post("/tokens/2021-03-01/restrictedDataToken", json={"restrictedResources": [
        {"method": "GET", "path": "/listings/2021-08-01/items", "dataElements": ["shippingAddress"]}]})
    assert bad.status_code == 400 and bad.json()["errors"][0]["code"] == "InvalidInput"
    await _control(amazon, expire_now=True)
    late = await amazon.client.get(f"/orders/v0/orders/{ref}", headers={"x-amz-access-token": rdt})
    assert late.status_code == 403


async def test_an_rdt_is_asked_anew_at_its_expiry_or_once_when_amazon_refuses_it(amazon: UnderTest) -> None:
    clock = [1000.0]
    amazon.port._clock = lambda: clock[0]
    await _place(amazon)
    await amazon.port.orders_since(None, "amazon-us")
    clock[0] += 3600  # past expiresIn: a new one before the call
    await amazon.port.orders_since(None, "amazon-us")
    assert len([r for r in amazon.transport.sent if r.url.path.endswith("/restrictedDataToken")]) == 2

    await _control(amazon, expire_now=True)  # the sandbox's fixed LWA token lives on; the RDTs do not
    [order] = (await amazon.port.orders_since(None, "amazon-us")).orders
    assert order.ship_to is not None
    assert len([r for r in amazon.transport.sent if r.url.path.endswith("/restrictedDataToken")]) == 3


async def test_concurrent_polls_share_one_new_rdt(amazon: UnderTest) -> None:
    await _place(amazon)
    gate = asyncio.Event()
    asked: list[httpx.Request] = []
    inner = amazon.transport.inner.handle_async_request

    async def held(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/restrictedDataToken"):
            asked.append(request)
            await asyncio.wait_for(gate.wait(), 10)
        return await inner(request)

    amazon.transport.inner.handle_async_request = held  # type: ignore[method-assign]
    polls = [asyncio.create_task(amazon.port.orders_since(None, "amazon-us")) for _ in range(4)]

    async def the_others_wait() -> bool:  # one RDT asked, three polls queued behind it
        return len(asked) == 1 and len(amazon.port._rdt.lock._waiters or ()) == 3  # type: ignore[attr-defined]

    await until(the_others_wait, timeout=5)
    gate.set()
    pages = await asyncio.gather(*polls)

    assert all(p.orders and p.orders[0].ship_to is not None for p in pages)
    assert len(asked) == 1 and (await _control(amazon))["rdts"] == 1


# --- LWA refresh -----------------------------------------------------------------------------------


def test_the_credential_forms() -> None:
    assert access_token("Atza|abc") == {"x-amz-access-token": "Atza|abc"}  # the old form, unchanged
    assert access_token(LWA_CREDENTIAL) == {} and lwa_credentials("Atza|abc") is None
    creds = lwa_credentials(LWA_CREDENTIAL)
    assert creds is not None and (creds.refresh_token, creds.client_id, creds.client_secret) == (
        REFRESH_TOKEN, CLIENT_ID, CLIENT_SECRET)
    assert REFRESH_TOKEN not in repr(creds) and CLIENT_SECRET not in repr(creds)


async def test_a_refresh_token_is_exchanged_once_and_its_access_token_signs_every_call(
        amazon: UnderTest, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    port = await _lwa(amazon)
    ref = await _place(amazon)
    [order] = (await port.orders_since(None, "amazon-us")).orders
    await port.inventory_levels(["SKU-1001"])

    assert order.channel_order_ref == ref and order.ship_to is not None
    [exchange] = [r for r in amazon.transport.sent if r.url.path.endswith("/auth/o2/token")]
    assert dict(httpx.QueryParams(exchange.content.decode())) == {
        "grant_type": "refresh_token", "refresh_token": REFRESH_TOKEN, "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET}
    assert "x-amz-access-token" not in exchange.headers
    assert set(_tokens(amazon, "/SKU-1001")) == {"Atza|sandbox-lwa-1"}
    assert (await _control(amazon))["exchanges"] == 1
    for secret in (REFRESH_TOKEN, CLIENT_SECRET, "Atza|sandbox-lwa-1", "Atz.sprdt|"):
        assert secret not in caplog.text


async def test_many_calls_with_an_expired_token_cause_one_refresh_and_each_is_sent_again_once(
        amazon: UnderTest) -> None:
    port = await _lwa(amazon)
    await port.inventory_levels(["SKU-1001"])
    await _control(amazon, expire_now=True)  # Amazon ends it before the adapter expects: 403 Unauthorized
    held = Held(amazon.transport.inner, 8)
    amazon.transport.inner = held  # the eight calls are all in flight with the old token at once

    found = await asyncio.gather(*(port.inventory_levels([f"SKU-100{n % 4 + 1}"]) for n in range(8)))

    assert all(levels == [] for levels in found)
    assert (await _control(amazon))["exchanges"] == 2  # one refresh for the eight (each refused once)
    assert sorted(held.tokens) == ["Atza|sandbox-lwa-1"] * 8 + ["Atza|sandbox-lwa-2"] * 8  # each sent again once


async def test_the_token_is_refreshed_before_its_expires_in_without_a_refused_call(amazon: UnderTest) -> None:
    clock = [50.0]
    port = await _lwa(amazon)
    port._clock = lambda: clock[0]
    await _control(amazon, expires_in=600)
    await port.inventory_levels(["SKU-1001"])
    clock[0] += 539
    await port.inventory_levels(["SKU-1001"])
    assert (await _control(amazon))["exchanges"] == 1
    clock[0] += 2  # within a minute (a tenth of its life) of the end: refreshed first
    await port.inventory_levels(["SKU-1001"])
    assert (await _control(amazon))["exchanges"] == 2
    calls = [r.headers["x-amz-access-token"] for r in amazon.transport.sent if r.url.path.endswith("/SKU-1001")]
    assert calls == ["Atza|sandbox-lwa-1", "Atza|sandbox-lwa-1", "Atza|sandbox-lwa-2"]  # none refused, sent again


async def test_a_wrong_refresh_token_is_invalid_grant_a_permanent_and_clear_failure(amazon: UnderTest) -> None:
    raw = await amazon.control.post(LWA_URL.removeprefix("http://sandbox"), data={
        "grant_type": "refresh_token", "refresh_token": "Atzr|revoked", "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET})
    assert raw.status_code == 400 and raw.json()["error"] == "invalid_grant"
    port = await _lwa(amazon, f"Atzr|revoked;{CLIENT_ID};{CLIENT_SECRET}")

    with pytest.raises(BackendError) as caught:
        await port.inventory_levels(["SKU-1001"])

    assert not isinstance(caught.value, BackendUnavailable)
    assert caught.value.code == "backend_credential_refused" and caught.value.extra["vendor_code"] == "invalid_grant"
    assert "renewed" in caught.value.detail and "revoked" not in caught.value.detail
    assert len(amazon.transport.sent) == 1  # the exchange only: not retried, no call sent unsigned


async def test_a_wrong_client_secret_is_invalid_client_refused_the_same_way(amazon: UnderTest) -> None:
    port = await _lwa(amazon, f"{REFRESH_TOKEN};{CLIENT_ID};wrong")
    with pytest.raises(BackendError) as caught:
        await port.orders_since(None, "amazon-us")
    assert caught.value.code == "backend_credential_refused" and caught.value.extra["vendor_code"] == "invalid_client"
