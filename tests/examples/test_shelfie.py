"""docs/write-an-adapter.md's worked example runs: Shelfie, registered for these tests only, passes
the StockPort contract suite against its sandbox, and a hub.toml connection of its kind serves
stock through the whole hub."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AsyncExitStack

import httpx
import pytest

from system_apis.registry import KINDS
from tests.conftest import make_settings, start_hub
from tests.examples.shelfie.kind import SHELFIE_KIND
from tests.system_apis.contracts import test_probe_contract as probes
from tests.system_apis.contracts import test_stock_port as suite
from tests.system_apis.contracts.conftest import Hooks
from tests.system_apis.contracts.harness import UnderTest


async def _count(control: httpx.AsyncClient, sku: str, location: str, on_hand: int) -> httpx.Response:
    return await control.put(f"/sandbox/shelfie/counts/{sku}/{location}", json={"on_hand": on_hand})


# What HOOKS in tests/system_apis/contracts/conftest.py would hold for it.
HOOKS = Hooks(name="shelfie", seeded=(("SKU-1002", "SHELF-A", 6, 6), ("SKU-1003", "SHELF-A", 12, 12)),
              location="SHELF-A", set_count=_count)
CHECKS = [(name, {}) for name in dir(suite) if name.startswith("test_") and "outage" not in name]
CHECKS += [("test_an_outage_is_backend_unavailable_and_the_read_after_it_works", {"fault": fault})
           for fault in ({"outage": True}, {"error_rate": 1.0})]


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(KINDS, "shelfie", SHELFIE_KIND)
    yield


@pytest.mark.parametrize(("check", "args"), CHECKS, ids=[f"{c}{a}" for c, a in CHECKS])
async def test_shelfie_passes_the_stock_contract(registered: None, check: str, args: dict) -> None:
    under = UnderTest("shelfie", "stock", HOOKS)
    try:
        outcome = getattr(suite, check)(under, **args)
        if outcome is not None:
            await outcome
    finally:
        await under.aclose()


PROBE_CHECKS = [name for name in dir(probes) if name.startswith("test_")]


@pytest.mark.parametrize("check", PROBE_CHECKS)
async def test_shelfie_passes_the_probe_contract(registered: None, check: str) -> None:
    under = UnderTest("shelfie", "stock", HOOKS)
    try:
        await getattr(probes, check)(under)
    finally:
        await under.aclose()


async def test_a_shelfie_connection_in_hub_toml_serves_stock(registered: None, sqlite_url: str) -> None:
    shelf = {"kind": "shelfie", "locations": ["SHELF-"]}
    async with AsyncExitStack() as stack:
        hub = await start_hub(stack, make_settings(sqlite_url, connections={"shelf": shelf}))
        catalog = {"X-API-Key": await hub.new_key("catalog:read")}
        answer = await hub.http.get("/v1/storefront/products/SKU-1003", headers=catalog)

    assert answer.status_code == 200, answer.text
    assert {(lv["location"], lv["available"]) for lv in answer.json()["locations"]} == {("DC-EAST", 500),
                                                                                       ("SHELF-A", 12)}
