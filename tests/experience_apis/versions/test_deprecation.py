"""The version registry and deprecation: a deprecated version's every answer carries
`Deprecation` (RFC 9745), `Sunset` (RFC 8594) and `Link: <successor>; rel="successor-version"`;
a current version's none."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime

import httpx
import pytest

from experience_apis import versions
from experience_apis.registry import build_experiences
from experience_apis.versions import VERSIONS, ApiVersion, VersionRegistry, list_versions
from shared.identity import PRINCIPAL_HEADER, Principal, sign_principal
from tests.conftest import Hub, start_mobile_hub
from tests.fakes.pricing import FakePricing
from tests.experience_apis.versions.conftest import call, ok
from tests.gateway.support import api, assert_problem

DEPRECATED_AT = datetime(2027, 1, 1, tzinfo=UTC)
SUNSET = datetime(2027, 7, 1, tzinfo=UTC)
HEADERS = ("deprecation", "sunset", "link")
SECRET = "test-internal-secret"


def deprecated_v1() -> VersionRegistry:
    return VERSIONS.replace("storefront-v1", status="deprecated", deprecated_at=DEPRECATED_AT, sunset=SUNSET,
                            successor="storefront-v2")


@pytest.fixture
async def deprecated_hub(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Hub]:
    """The one-process hub with storefront v1 marked deprecated in the registry."""
    monkeypatch.setattr(versions, "VERSIONS", deprecated_v1())
    async with AsyncExitStack() as stack:
        yield await start_mobile_hub(stack, sqlite_url)


def test_out_of_the_box_every_version_is_current() -> None:
    listed = list_versions()
    assert [v.key for v in listed] == ["storefront-v1", "storefront-v2", "mobile-v1", "partner-v1"]
    assert all(v.status == "current" and v.sunset is None and v.changelog for v in listed)
    assert all(not v.deprecation_headers() for v in listed)


def test_deprecation_headers_are_a_structured_date_and_an_imf_fixdate() -> None:
    assert deprecated_v1().get("storefront-v1").deprecation_headers() == [
        ("deprecation", f"@{int(DEPRECATED_AT.timestamp())}"), ("sunset", "Thu, 01 Jul 2027 00:00:00 GMT")]


def test_the_successor_link_is_the_equivalent_path_or_the_successor_base() -> None:
    registry = deprecated_v1()
    v1 = registry.get("storefront-v1")
    templates = ["/v2/storefront/products/{sku:str}", "/v2/storefront/price-availability"]
    assert registry.successor_link(v1, "/v1/storefront/products/SKU-1", templates) == "/v2/storefront/products/SKU-1"
    assert registry.successor_link(v1, "/v1/storefront/orders/o-1", templates) == "/v2/storefront/"
    assert registry.successor_link(registry.get("storefront-v2"), "/v2/storefront/x", templates) is None


@pytest.mark.parametrize(("changes", "message"), [
    ({"status": "deprecated"}, "needs deprecated_at and successor"),
    ({"status": "deprecated", "deprecated_at": DEPRECATED_AT}, "needs deprecated_at and successor"),
    ({"successor": "storefront-v9"}, "unknown successor"),
    ({"deprecated_at": datetime(2027, 1, 1)}, "timezone-aware"),
])
def test_the_registry_refuses_inconsistent_entries(changes: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        VERSIONS.replace("storefront-v1", **changes)


def test_the_registry_refuses_a_successor_cycle() -> None:
    a = ApiVersion(api="a", version="v1", title="A", summary="", released=DEPRECATED_AT.date(), successor="a-v2")
    b = ApiVersion(api="a", version="v2", title="A", summary="", released=DEPRECATED_AT.date(), successor="a-v1")
    with pytest.raises(ValueError, match="cycle"):
        VersionRegistry([a, b])


async def test_a_current_version_answers_without_deprecation_headers(hub: Hub) -> None:
    key = await hub.new_key("catalog:read")
    for path in ("/v1/storefront/products/SKU-1001", "/v2/storefront/products/SKU-1001"):
        response = await call(hub, key, path)
        ok(response)
        assert not any(name in response.headers for name in HEADERS)


def assert_deprecated(response: httpx.Response, successor: str) -> None:
    assert response.headers["deprecation"] == f"@{int(DEPRECATED_AT.timestamp())}"
    assert response.headers["sunset"] == "Thu, 01 Jul 2027 00:00:00 GMT"
    assert response.headers["link"] == f'<{successor}>; rel="successor-version"'


async def test_every_answer_of_a_deprecated_app_says_so_errors_included() -> None:
    """The app alone (no gateway): answers, problems from the handler and from routing."""
    app = build_experiences({"pricing": FakePricing()}, SECRET, deprecated_v1())["storefront-v1"]
    principal = sign_principal(Principal(consumer="c", scopes=frozenset({"catalog:read"}), plan="standard"), SECRET)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app",
                                 headers={PRINCIPAL_HEADER: principal}) as client:
        found = await client.get("/v1/storefront/products/SKU-1001")
        missing = await client.get("/v1/storefront/products/SKU-9999")
        no_route = await client.get("/v1/storefront/nowhere")
    assert ok(found)["unit_price"] == "129.00"
    assert_deprecated(found, "/v2/storefront/products/SKU-1001")
    assert_deprecated(missing, "/v2/storefront/products/SKU-9999")
    assert (missing.status_code, no_route.status_code) == (404, 404)
    assert_deprecated(no_route, "/v2/storefront/")


async def test_a_deprecated_version_says_so_through_the_hub(deprecated_hub: Hub) -> None:
    key = await deprecated_hub.new_key("catalog:read")
    basket = await deprecated_hub.http.post("/v1/storefront/price-availability", headers=api(key),
                                            json={"lines": [{"sku": "SKU-1001", "quantity": 1}]})
    ok(basket)
    assert_deprecated(basket, "/v2/storefront/price-availability")
    missing = await call(deprecated_hub, key, "/v1/storefront/products/SKU-9999")
    assert_problem(missing, 404, "unknown_sku")
    assert_deprecated(missing, "/v2/storefront/products/SKU-9999")


async def test_a_cached_answer_of_a_deprecated_version_says_so(deprecated_hub: Hub) -> None:
    key = await deprecated_hub.new_key("catalog:read")
    response = await call(deprecated_hub, key, "/v1/storefront/products/SKU-1001")
    ok(response)
    assert_deprecated(response, "/v2/storefront/products/SKU-1001")


async def test_only_the_deprecated_version_says_so(deprecated_hub: Hub) -> None:
    key = api(await deprecated_hub.new_key("catalog:read", customer="CUST-ACME"))
    token = deprecated_hub.mobile("catalog:read", customer="CUST-ACME")
    for path, headers in (("/v2/storefront/products/SKU-1001", key), ("/v1/mobile/products/SKU-1001", token),
                          ("/v1/partner/price-list", key)):
        response = await deprecated_hub.http.get(path, headers=headers)
        ok(response)
        assert not any(name in response.headers for name in HEADERS), path


async def test_a_deprecated_versions_document_marks_its_operations_deprecated(deprecated_hub: Hub) -> None:
    v1 = ok(await deprecated_hub.http.get("/openapi/storefront-v1.json"))
    v2 = ok(await deprecated_hub.http.get("/openapi/storefront-v2.json"))
    assert "Status: **deprecated**" in v1["info"]["description"]
    assert all(op["deprecated"] for item in v1["paths"].values() for op in item.values())
    assert not any(op["deprecated"] for item in v2["paths"].values() for op in item.values())
