"""GET /v1/mobile/products/{sku}: a compact product at the signed-in customer's price, with
a stock level (CONTRACT section 4). Mobile apps send identity-provider JWTs: the test hub
trusts a stand-in provider (``tests/idp.py``)."""

from __future__ import annotations

import httpx
import pytest

from experience_apis.mobile.app import create_mobile_v1
from experience_apis.mobile.v1.schemas import HIGH_STOCK_FROM, StockLevels
from shared.identity import PRINCIPAL_HEADER, Principal, sign_principal
from tests.conftest import Hub
from tests.experience_apis.versions.conftest import ok, set_stock
from tests.fakes.pricing import FakePricing
from tests.gateway.support import assert_problem, eventually

FIELDS = {"sku", "name", "price", "currency", "in_stock", "stock_level"}


async def product(hub: Hub, headers: dict[str, str], sku: str = "SKU-1001") -> dict:
    return ok(await hub.http.get(f"/v1/mobile/products/{sku}", headers=headers))


@pytest.fixture
def acme(hub: Hub) -> dict[str, str]:
    """A signed-in ACME buyer's token."""
    return hub.mobile("catalog:read", customer="CUST-ACME")


async def test_an_acme_buyer_sees_its_contract_price(hub: Hub, acme: dict[str, str]) -> None:
    body = await product(hub, acme)
    assert body == {"sku": "SKU-1001", "name": "Cordless Drill 18V", "price": "99.00", "currency": "USD",
                    "in_stock": True, "stock_level": "high"}


async def test_a_customer_without_a_contract_sees_the_list_price(hub: Hub) -> None:
    bolt = hub.mobile("catalog:read", customer="CUST-BOLT")
    bolt_by_sub = hub.mobile("catalog:read", sub="CUST-BOLT")  # no customer claim: the token's sub
    assert (await product(hub, bolt))["price"] == "129.00"
    assert (await product(hub, bolt_by_sub))["price"] == "129.00"


async def test_seed_stock_reads_high_low_and_out(hub: Hub, acme: dict[str, str]) -> None:
    assert (await product(hub, acme, "SKU-1001"))["stock_level"] == "high"  # 50 units
    assert (await product(hub, acme, "SKU-1002"))["stock_level"] == "low"  # 8 units
    out = await product(hub, acme, "SKU-1004")  # none
    assert set(out) == FIELDS and (out["stock_level"], out["in_stock"]) == ("out", False)


@pytest.mark.parametrize(("dc_west", "level", "in_stock"), [(10, "high", True), (9, "low", True), (1, "low", True),
                                                            (0, "out", False)])
async def test_stock_changes_move_the_level_at_its_bounds(hub: Hub, acme: dict[str, str], dc_west: int, level: str,
                                                          in_stock: bool) -> None:
    await set_stock(hub, "SKU-1001", "DC-EAST", 0)
    await set_stock(hub, "SKU-1001", "DC-WEST", dc_west)

    async def shows_it() -> bool:
        body = await product(hub, acme)
        return (body["stock_level"], body["in_stock"]) == (level, in_stock)

    await eventually(shows_it, timeout=3)


def test_the_levels_split_at_the_threshold() -> None:
    assert HIGH_STOCK_FROM == 10
    levels = StockLevels()
    assert [levels.of(n) for n in (0, 1, 9, 10, 500)] == ["out", "low", "low", "high", "high"]
    assert [StockLevels(high_from=3).of(n) for n in (0, 2, 3)] == ["out", "low", "high"]


async def test_the_threshold_is_a_parameter_of_the_app() -> None:
    pricing = FakePricing(available=5)
    app = create_mobile_v1({"pricing": pricing}, "s", high_stock_from=5)
    principal = Principal(consumer="app", scopes=frozenset({"catalog:read"}), plan="standard", kind="jwt",
                          customer_id="CUST-ACME")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as client:
        response = await client.get("/v1/mobile/products/SKU-1001",
                                    headers={PRINCIPAL_HEADER: sign_principal(principal, "s")})
    assert ok(response)["stock_level"] == "high"
    assert pricing.channels == ["mobile"]  # the mobile channel's safety buffer applies (issue 11)


async def test_unknown_sku_and_missing_scope(hub: Hub, acme: dict[str, str]) -> None:
    assert_problem(await hub.http.get("/v1/mobile/products/SKU-9999", headers=acme), 404, "unknown_sku")
    orders_only = hub.mobile("orders:read", customer="CUST-ACME")
    assert_problem(await hub.http.get("/v1/mobile/products/SKU-1001", headers=orders_only), 403, "insufficient_scope")
