"""Admin API keys (CONTRACT section 7) through the edge, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gateway.keys.repository import KeyRepository
from gateway.keys.schemas import KeyCreate
from gateway.keys.service import KeyService
from shared.db.engine import create_engine, dispose
from shared.settings import DEFAULT_PLANS
from tests.conftest import ADMIN_KEY, Hub
from tests.gateway.support import api, assert_field_errors, assert_problem, create_key, status_with

KEYS = "/admin/v1/keys"
VIEW_FIELDS = {"id", "consumer", "scopes", "plan", "customer", "created_at", "expires_at", "revoked_at", "status"}
PRODUCT = "/v1/storefront/products/SKU-1001"


async def admin(hub: Hub, method: str, path: str, **kwargs: object):  # noqa: ANN201
    return await hub.http.request(method, path, headers=api(ADMIN_KEY), **kwargs)


async def test_a_created_key_is_shown_once_with_its_secret_and_works(either_hub: Hub) -> None:
    created = await create_key(either_hub, "catalog:read", consumer="web", customer="CUST-ACME", plan="partner",
                               expires_in_seconds=3600)
    assert created.keys() == VIEW_FIELDS | {"key"}
    assert created["key"].startswith("chub_") and created["id"].startswith("key_")
    assert (created["consumer"], created["scopes"], created["plan"], created["customer"], created["status"]) == (
        "web", ["catalog:read"], "partner", "CUST-ACME", "active")
    assert await status_with(either_hub, created["key"], PRODUCT) == 200


async def test_the_listing_and_the_detail_never_show_a_secret(either_hub: Hub) -> None:
    created = await create_key(either_hub, "catalog:read")
    listing = await admin(either_hub, "GET", KEYS)
    detail = await admin(either_hub, "GET", f"{KEYS}/{created['id']}")
    assert listing.status_code == detail.status_code == 200
    assert created["id"] in {item["id"] for item in listing.json()["items"]}
    assert all(set(item) == VIEW_FIELDS for item in listing.json()["items"])
    assert set(detail.json()) == VIEW_FIELDS
    for response in (listing, detail):
        assert created["key"] not in response.text and ADMIN_KEY not in response.text


@pytest.mark.parametrize(("method", "suffix"), [("GET", ""), ("DELETE", ""), ("POST", "/rotate")])
async def test_an_unknown_key_id_is_404(hub: Hub, method: str, suffix: str) -> None:
    assert_problem(await admin(hub, method, f"{KEYS}/key_0000000000000000{suffix}"), 404, "not_found")


async def test_a_revoked_key_stops_working_at_once(either_hub: Hub) -> None:
    created = await create_key(either_hub, "catalog:read")
    assert await status_with(either_hub, created["key"], PRODUCT) == 200
    response = await admin(either_hub, "DELETE", f"{KEYS}/{created['id']}")
    assert response.status_code == 200 and response.json()["status"] == "revoked"
    assert_problem(await either_hub.http.get(PRODUCT, headers=api(created["key"])), 401, "unauthorized")


async def test_rotation_without_grace_swaps_the_secret_at_once(either_hub: Hub) -> None:
    created = await create_key(either_hub, "catalog:read")
    rotated = await admin(either_hub, "POST", f"{KEYS}/{created['id']}/rotate", json={"grace_seconds": 0})
    assert rotated.status_code == 200 and rotated.json()["id"] == created["id"]
    assert await status_with(either_hub, rotated.json()["key"], PRODUCT) == 200
    assert await status_with(either_hub, created["key"], PRODUCT) == 401


async def test_rotation_keeps_the_old_secret_during_the_default_grace(hub: Hub) -> None:
    created = await create_key(hub, "catalog:read")
    rotated = await admin(hub, "POST", f"{KEYS}/{created['id']}/rotate")
    assert rotated.status_code == 200 and rotated.json()["key"] != created["key"]
    assert [await status_with(hub, k, PRODUCT) for k in (created["key"], rotated.json()["key"])] == [200, 200]


async def test_an_expired_key_is_401(hub: Hub, sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        yesterday = KeyService(KeyRepository(engine), lambda: set(DEFAULT_PLANS), "standard",
                               now=lambda: datetime.now(UTC) - timedelta(days=1))
        created = await yesterday.create(KeyCreate(consumer="old", scopes=["catalog:read"], expires_in_seconds=3600))
    finally:
        await dispose(engine)
    assert_problem(await hub.http.get(PRODUCT, headers=api(created.key)), 401, "unauthorized")
    assert (await admin(hub, "GET", f"{KEYS}/{created.id}")).json()["status"] == "expired"


@pytest.mark.parametrize(("body", "field"), [
    ({"consumer": "x", "scopes": ["catalog:write"]}, "scopes[0]"),
    ({"consumer": "x", "scopes": ["catalog:read"], "plan": "gold"}, "plan"),
    ({"consumer": "x", "scopes": []}, "scopes"),
    ({"scopes": ["catalog:read"]}, "consumer"),
    ({"consumer": "", "scopes": ["catalog:read"]}, "consumer"),
    ({"consumer": "x", "scopes": ["catalog:read"], "expires_in_seconds": 0}, "expires_in_seconds"),
    ({"consumer": "x", "scopes": ["catalog:read"], "expires_in_seconds": "soon"}, "expires_in_seconds"),
])
async def test_an_invalid_key_request_is_422_naming_the_field(hub: Hub, body: dict, field: str) -> None:
    assert_field_errors(await admin(hub, "POST", KEYS, json=body), field)


async def test_an_invalid_grace_is_422(hub: Hub) -> None:
    created = await create_key(hub, "catalog:read")
    response = await admin(hub, "POST", f"{KEYS}/{created['id']}/rotate", json={"grace_seconds": -1})
    assert_field_errors(response, "grace_seconds")


ADMIN_ROUTES = [("POST", KEYS, {"nonsense": True}), ("GET", KEYS, None), ("GET", f"{KEYS}/key_x", None),
                ("POST", f"{KEYS}/key_x/rotate", {"grace_seconds": "never"}), ("DELETE", f"{KEYS}/key_x", None),
                ("GET", "/admin/v1/plans", None)]


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ROUTES)
async def test_a_non_admin_key_is_403_before_the_body_is_looked_at(hub: Hub, method: str, path: str, body: object) -> None:
    key = await hub.new_key("catalog:read", "customers:any", "orders:write")
    response = await hub.http.request(method, path, json=body, headers=api(key))
    assert_problem(response, 403, "insufficient_scope")


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ROUTES)
async def test_no_key_is_401_on_admin_routes(hub: Hub, method: str, path: str, body: object) -> None:
    assert_problem(await hub.http.request(method, path, json=body), 401, "unauthorized")


async def test_the_plans_are_listed_with_their_limits(hub: Hub) -> None:
    response = await admin(hub, "GET", "/admin/v1/plans")
    plans = {p["name"]: (p["rate_per_second"], p["burst"]) for p in response.json()["items"]}
    assert plans == {"standard": (20, 40), "partner": (50, 100), "internal": (500, 1000)}
