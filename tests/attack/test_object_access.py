"""Object-level authorization as a generated matrix (issue 10; docs/security.md).

Every resource route that exists (orders: read, list, return; returns: read; the price with a
``customer_id``; placing an order for a named customer) x every credential kind x the objects:
an ACME order, a BOLT order, a guest order of consumer A and a Shopify webhook guest order, each
shipped, each with a return. One hub per module serves the whole matrix (SQLite), and a second
one on PostgreSQL runs the key cells, since the SQL condition is what filters there too.

The expected outcome of a cell is read from the tables below, written from the documented rule
(not from the code): SEES says who may see what, ACCEPTS which credential kinds a channel takes.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from itertools import product

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select

from process_apis.orders.repository import StoredOrder, insert_order, visible, visible_to
from process_apis.orders.schemas import Viewer
from shared.db.engine import create_engine, dispose
from shared.db.migrate import upgrade
from shared.db.tables import orders, returns
from tests.commerce_hub.orders_support import until, wait_status
from tests.conftest import ADMIN_KEY, Hub, _pg_admin, make_settings, start_hub
from tests.gateway.support import assert_problem
from tests.gateway.test_mobile_jwt import JwksServer
from tests.gateway.tokens.conftest import AUDIENCE, ISSUER, FakeIdp

pytestmark = pytest.mark.asyncio(loop_scope="module")

SCOPES = ["catalog:read", "orders:read", "orders:write", "returns:read", "returns:write", "webhooks:manage"]
KEYS = {  # name: (consumer, customer, customers:any); A places the guest order
    "guest_key": ("matrix-a", None, False),
    "acme_key": ("matrix-a", "CUST-ACME", False),
    "bolt_key": ("matrix-b", "CUST-BOLT", False),
    "any_a": ("matrix-a", None, True),
    "any_b": ("matrix-b", None, True),
}
CREDENTIALS = (*KEYS, "partner_token", "jwt_acme", "jwt_bolt")
KIND = {**{name: "api_key" for name in KEYS}, "partner_token": "oauth", "jwt_acme": "jwt", "jwt_bolt": "jwt"}
CONSUMER = {**{name: spec[0] for name, spec in KEYS.items()}, "partner_token": "matrix-partner",
            "jwt_acme": "idp:user-CUST-ACME", "jwt_bolt": "idp:user-CUST-BOLT"}
CUSTOMER = {**{name: spec[1] for name, spec in KEYS.items()}, "partner_token": "CUST-ACME", "jwt_acme": "CUST-ACME",
            "jwt_bolt": "CUST-BOLT"}

ACCEPTS = {"storefront": {"api_key"}, "mobile": {"jwt"}, "partner": {"api_key", "oauth"}}
"""CONTRACT sections 3-5: the credential kinds each channel takes; any other is 401."""
OBJECTS = ("acme", "bolt", "guest", "shopify")
SEES = {
    "acme": {"acme_key", "any_a", "any_b", "partner_token", "jwt_acme"},  # its customer, or customers:any
    "bolt": {"bolt_key", "any_a", "any_b", "jwt_bolt"},
    "guest": {"guest_key", "acme_key", "any_a"},  # consumer A's guest order: A's credentials only
    "shopify": set(),  # the shop's guest order: nobody here, customers:any included
}
ACTS_FOR_ACME = {"acme_key", "any_a", "any_b", "partner_token", "jwt_acme"}
OBJECT_ROUTES = {  # action: (method, path, body) with {id}
    "read_order": ("GET", "/orders/{order}", None),
    "read_return": ("GET", "/returns/{rma}", None),
    "write_return": ("POST", "/returns", {"order_id": "{order}", "lines": [
        {"sku": "SKU-1003", "quantity": 1, "reason": "not_needed"}]}),  # final sale: a rejected RMA, nothing moves
}
PRICE_ROUTES = {
    "product_v1": ("GET", "/v1/storefront/products/SKU-1001?customer_id=CUST-ACME", None),
    "product_v2": ("GET", "/v2/storefront/products/SKU-1001?customer_id=CUST-ACME", None),
    "basket_v1": ("POST", "/v1/storefront/price-availability", {"customer_id": "CUST-ACME", "lines": [
        {"sku": "SKU-1001", "quantity": 1}]}),
    "basket_v2": ("POST", "/v2/storefront/price-availability", {"customer_id": "CUST-ACME", "lines": [
        {"sku": "SKU-1001", "quantity": 1}]}),
}
PLACE_FOR_ACME = {"customer_id": "CUST-ACME", "lines": [{"sku": "SKU-1003", "quantity": 1, "unit_price": "8.75"}]}
SUBSCRIBERS = {"acme": "acme_key", "bolt": "bolt_key"}  # partner webhook subscriptions, by their customer
SUB_SEES = {"acme": {"acme_key", "partner_token"}, "bolt": {"bolt_key"}}  # the subscription's customer's partners
WEBHOOK_ROUTES = {  # action: (method, path) with {sub} and {delivery}
    "read_deliveries": ("GET", "/v1/partner/webhooks/{sub}/deliveries"),
    "replay_delivery": ("POST", "/v1/partner/webhooks/{sub}/deliveries/{delivery}/replay"),
}


@dataclass(frozen=True)
class Cell:
    channel: str
    action: str
    cred: str
    obj: str = "-"

    def __str__(self) -> str:
        return f"{self.channel}-{self.action}-{self.obj}-{self.cred}"


def expected(cell: Cell) -> tuple[int, str | None]:
    """(status, problem code) the documented rules give this cell."""
    if KIND[cell.cred] not in ACCEPTS[cell.channel]:
        return 401, "unauthorized"
    if cell.channel == "partner" and CUSTOMER[cell.cred] is None:
        return 403, "customer_required"  # a partner credential must be bound; about the caller, not the object
    if cell.action in ("price", "place"):
        return (200 if cell.action == "price" else 201, None) if cell.cred in ACTS_FOR_ACME else (
            403, "customer_forbidden")
    if cell.action in ("list", "list_webhooks"):
        return 200, None
    if cell.action in WEBHOOK_ROUTES:
        if cell.cred not in SUB_SEES[cell.obj]:
            return 404, "unknown_webhook"
        return 202 if cell.action == "replay_delivery" else 200, None
    if cell.cred not in SEES[cell.obj]:
        return 404, "unknown_return" if cell.action == "read_return" else "unknown_order"
    return 201 if cell.action == "write_return" else 200, None


CHANNELS = ("storefront", "mobile", "partner")
OBJECT_CELLS = [Cell(ch, action, cred, obj) for ch, action, obj, cred in product(CHANNELS, OBJECT_ROUTES, OBJECTS,
                                                                                   CREDENTIALS)]
LIST_CELLS = [Cell("mobile", "list", cred) for cred in CREDENTIALS]
PRICE_CELLS = [Cell("storefront", "price", cred, route) for route, cred in product(PRICE_ROUTES, CREDENTIALS)]
PLACE_CELLS = [Cell(ch, "place", cred) for ch, cred in product(CHANNELS, CREDENTIALS)]
WEBHOOK_CELLS = [Cell("partner", action, cred, obj) for action, obj, cred in product(WEBHOOK_ROUTES, SUBSCRIBERS,
                                                                                     CREDENTIALS)]
WEBHOOK_LIST_CELLS = [Cell("partner", "list_webhooks", cred) for cred in CREDENTIALS]
KEY_CELLS = [c for c in OBJECT_CELLS if c.channel == "storefront" and c.cred in KEYS] + LIST_CELLS
"""On PostgreSQL: every API key on every object route of one channel, and every list."""


class World:
    """The hub, a credential's headers by name, and the objects: order id, return id and the
    consumer that placed it (``owner``), by object."""

    def __init__(self, hub: Hub) -> None:
        self.hub, self.headers, self.order, self.rma, self.owner = hub, {}, {}, {}, {}
        self.sub: dict[str, str] = {}  # subscription id, and one of its deliveries' webhook-id, by customer
        self.delivery: dict[str, str] = {}

    async def call(self, cred: str, method: str, path: str, body: dict | None = None) -> httpx.Response:
        headers = {**self.headers[cred], "Idempotency-Key": uuid.uuid4().hex}
        return await self.hub.http.request(method, path, json=body, headers=headers)


def _fill(value: object, world: World, obj: str) -> object:
    if isinstance(value, str):
        return value.format(order=world.order.get(obj, ""), rma=world.rma.get(obj, ""))
    if isinstance(value, list):
        return [_fill(v, world, obj) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, world, obj) for k, v in value.items()}
    return value


async def listed(world: World, cred: str) -> set[str] | httpx.Response:
    """Every order id the mobile list gives this credential (all pages), or the refusal."""
    seen: set[str] = set()
    cursor = None
    for _ in range(100):
        params = "?limit=100" + (f"&cursor={cursor}" if cursor else "")
        response = await world.call(cred, "GET", f"/v1/mobile/orders{params}")
        if response.status_code != 200:
            return response
        seen |= {item["order_id"] for item in response.json()["items"]}
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("the list did not end in 100 pages")


async def check_webhooks(world: World, cell: Cell) -> None:
    """A partner webhook subscription and its deliveries: its customer's partners only."""
    status, code = expected(cell)
    if cell.action == "list_webhooks":
        response = await world.call(cell.cred, "GET", "/v1/partner/webhooks")
    else:
        method, path = WEBHOOK_ROUTES[cell.action]
        path = path.format(sub=world.sub[cell.obj], delivery=world.delivery[cell.obj])
        response = await world.call(cell.cred, method, path)
    if code is not None:
        assert_problem(response, status, code)
        return
    assert response.status_code == status, response.text
    if cell.action == "list_webhooks":
        ids = {item["id"] for item in response.json()["items"]}
        assert ids & set(world.sub.values()) == {world.sub[o] for o in SUBSCRIBERS if cell.cred in SUB_SEES[o]}
        assert all("secret" not in item for item in response.json()["items"])
    elif cell.action == "read_deliveries":
        assert world.delivery[cell.obj] in {d["webhook_id"] for d in response.json()["items"]}


async def check(world: World, cell: Cell) -> None:
    status, code = expected(cell)
    if cell.action == "list":
        got = await listed(world, cell.cred)
        if isinstance(got, httpx.Response):
            assert_problem(got, status, code)  # type: ignore[arg-type]
            return
        assert status == 200
        assert {o for o in OBJECTS if world.order[o] in got} == {o for o in OBJECTS if cell.cred in SEES[o]}
        return
    if cell.action == "price":
        method, path, body = PRICE_ROUTES[cell.obj]
    elif cell.action == "place":
        method, path = "POST", f"/v1/{cell.channel}/orders"
        body = PLACE_FOR_ACME
        if cell.channel == "partner":
            body = {**body, "po_number": f"PO-{uuid.uuid4().hex[:10]}"}
    else:
        method, path, body = OBJECT_ROUTES[cell.action]
        path, body = f"/v1/{cell.channel}" + _fill(path, world, cell.obj), _fill(body, world, cell.obj)
    response = await world.call(cell.cred, method, path, body)  # type: ignore[arg-type]
    if code is not None:
        assert_problem(response, status, code)
        return
    assert response.status_code == status, response.text
    answer = response.json()
    if cell.action == "price":
        line = answer["lines"][0] if "lines" in answer else answer
        assert line["price_source"] == "contract", answer  # CUST-ACME's own price: it acted for ACME
    elif cell.action != "place":
        assert answer["order_id"] == world.order[cell.obj]
        if cell.action == "read_return":
            assert answer["rma_id"] == world.rma[cell.obj]


@pytest.mark.parametrize("cell", OBJECT_CELLS + LIST_CELLS + PRICE_CELLS + PLACE_CELLS, ids=str)
async def test_cell(world: World, cell: Cell) -> None:
    await check(world, cell)


@pytest.mark.parametrize("cell", WEBHOOK_CELLS + WEBHOOK_LIST_CELLS, ids=str)
async def test_webhook_cell(world: World, cell: Cell) -> None:
    await check_webhooks(world, cell)


async def test_a_refused_return_left_nothing_behind(world: World) -> None:
    """After the write cells: an object's returns were asked for only by its owner and by callers who see it."""
    engine = create_engine(world.hub.app.settings.database_url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(select(returns.c.order_id, returns.c.consumer))).all()
    finally:
        await dispose(engine)
    for obj in OBJECTS:
        asked = {consumer for order_id, consumer in rows if order_id == world.order[obj]}
        assert world.owner[obj] in asked
        assert asked <= {world.owner[obj]} | {CONSUMER[c] for c in SEES[obj]}, (obj, asked)


@pytest.mark.parametrize("cell", KEY_CELLS, ids=str)
async def test_key_cell_on_postgresql(pg_world: World, cell: Cell) -> None:
    await check(pg_world, cell)


VIEWERS = [Viewer(consumer=consumer, customer_id=customer, any_customer=any_)
           for consumer, customer, any_ in product(("rule-a", "rule-b"), (None, "CUST-R1", "CUST-R2"), (False, True))]
ROWS = list(product(("rule-a", "rule-b"), (None, "CUST-R1", "CUST-R2")))  # (consumer, customer) of an order


def documented(viewer: Viewer, consumer: str, customer: str | None) -> bool:
    if customer is None:
        return consumer == viewer.consumer
    return viewer.any_customer or customer == viewer.customer_id


@pytest.mark.parametrize("database", ["world", "pg_world"])
async def test_the_sql_condition_and_the_python_check_are_one_rule(request, database: str) -> None:  # noqa: ANN001
    """Every viewer shape x every order shape: the SQL filter, the Python check and the rule agree."""
    world: World = request.getfixturevalue(database)
    engine = create_engine(world.hub.app.settings.database_url)
    stored = {}
    try:
        async with engine.begin() as conn:
            for consumer, customer in ROWS:
                order = StoredOrder(
                    order_id=f"ord_rule{secrets.token_hex(8)}", consumer=consumer, customer_id=customer,
                    channel="storefront", channel_order_ref=None, po_number=None, currency="USD", total=Decimal("1"),
                    status="cancelled", erp_order_number=None, lines=(), ship_to=None, payment=None,
                    created_at=datetime.now(UTC))
                await insert_order(conn, order, None, None)
                stored[order.order_id] = order
        for viewer in VIEWERS:
            async with engine.connect() as conn:
                found = set((await conn.execute(select(orders.c.order_id).where(
                    orders.c.order_id.in_(stored), visible_to(viewer)))).scalars())
            assert found == {i for i, o in stored.items() if visible(o, viewer)}, viewer
            assert found == {i for i, o in stored.items() if documented(viewer, o.consumer, o.customer_id)}, viewer
    finally:
        await dispose(engine)


async def _key(hub: Hub, consumer: str, customer: str | None, any_customer: bool) -> dict:
    scopes = SCOPES + (["customers:any"] if any_customer else [])
    response = await hub.http.post("/admin/v1/keys", headers={"X-API-Key": ADMIN_KEY}, json={
        "consumer": consumer, "scopes": scopes, "customer": customer, "plan": "internal"})
    assert response.status_code == 201, response.text
    return response.json()


async def _ship(world: World, order_id: str, reader: str) -> None:
    await wait_status(world.hub.http, world.headers[reader], order_id, "released", timeout=30)
    assert (await world.hub.http.post("/sandbox/wms/ship", json={"order_id": order_id})).status_code == 200
    await wait_status(world.hub.http, world.headers[reader], order_id, "shipped", timeout=30)


async def _shopify_order(world: World) -> tuple[str, str]:
    """A paid order on the sandbox shop, taken in by its signed webhook: (hub order id, its consumer)."""
    made = await world.hub.http.post("/sandbox/shopify/orders", json={"line_items": [
        {"sku": "SKU-1001", "quantity": 1, "price": "129.00"}, {"sku": "SKU-1003", "quantity": 1, "price": "8.75"}]})
    assert made.status_code == 201, made.text
    ref = str(made.json()["order"]["id"])
    engine = create_engine(world.hub.app.settings.database_url)
    try:
        async def captured() -> tuple[str, str] | None:
            async with engine.connect() as conn:
                row = (await conn.execute(select(orders.c.order_id, orders.c.consumer)
                                          .where(orders.c.channel_order_ref == ref))).first()
            return (row.order_id, row.consumer) if row is not None else None

        return await until(captured, timeout=30)
    finally:
        await dispose(engine)


async def build_world(hub: Hub, idp: FakeIdp) -> World:
    world = World(hub)
    for name, spec in KEYS.items():
        world.headers[name] = {"X-API-Key": (await _key(hub, *spec))["key"]}
    partner = await _key(hub, "matrix-partner", "CUST-ACME", False)
    token = await hub.http.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": partner["id"],
                                                      "client_secret": partner["key"]})
    assert token.status_code == 200, token.text
    world.headers["partner_token"] = {"Authorization": f"Bearer {token.json()['access_token']}"}
    for name, customer in (("jwt_acme", "CUST-ACME"), ("jwt_bolt", "CUST-BOLT")):
        jwt = idp.token(sub=f"user-{customer}", customer_id=customer, scope=" ".join(SCOPES),
                        exp=int(time.time()) + 3600)
        world.headers[name] = {"Authorization": f"Bearer {jwt}"}

    for customer, subscriber in SUBSCRIBERS.items():  # before the orders: their status changes are events
        made = await world.call(subscriber, "POST", "/v1/partner/webhooks", {
            "url": "http://127.0.0.1:9/hooks", "events": ["order.status_changed"]})  # nothing listens: pending
        assert made.status_code == 201, made.text
        world.sub[customer] = made.json()["id"]
    drill_and_glasses = [{"sku": "SKU-1001", "quantity": 1}, {"sku": "SKU-1003", "quantity": 1}]
    for obj, placer, payment in (("acme", "acme_key", None), ("bolt", "bolt_key", None),
                                 ("guest", "guest_key", {"method": "card", "amount": "137.75"})):
        body = {"lines": drill_and_glasses, **({"payment": payment} if payment else {})}
        placed = await world.call(placer, "POST", "/v1/storefront/orders", body)
        assert placed.status_code == 201, placed.text
        world.order[obj], world.owner[obj] = placed.json()["order_id"], CONSUMER[placer]
    world.order["shopify"], shop = await _shopify_order(world)
    world.owner["shopify"] = shop
    world.headers["shop_key"] = {"X-API-Key": (await _key(hub, shop, None, False))["key"]}  # the shop's own consumer
    owners = {"acme": "acme_key", "bolt": "bolt_key", "guest": "guest_key", "shopify": "shop_key"}
    await asyncio.gather(*(_ship(world, world.order[obj], owner) for obj, owner in owners.items()))
    for obj, owner in owners.items():
        method, path, body = OBJECT_ROUTES["write_return"]
        asked = await world.call(owner, method, f"/v1/storefront{path}", _fill(body, world, obj))  # type: ignore[arg-type]
        assert asked.status_code == 201, asked.text
        world.rma[obj] = asked.json()["rma_id"]
    for customer, subscriber in SUBSCRIBERS.items():
        async def first_delivery() -> str | None:
            listed = await world.call(subscriber, "GET", f"/v1/partner/webhooks/{world.sub[customer]}/deliveries")
            items = listed.json()["items"] if listed.status_code == 200 else []
            return items[-1]["webhook_id"] if items else None

        world.delivery[customer] = await until(first_delivery, timeout=30)
    return world


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def jwks() -> AsyncIterator[JwksServer]:
    async with JwksServer(FakeIdp()) as server:
        yield server


async def _world(database_url: str, jwks: JwksServer) -> AsyncIterator[World]:
    settings = make_settings(database_url, jwt_issuer=ISSUER, jwt_audience=AUDIENCE, jwt_jwks_url=jwks.url,
                             default_plan="internal",  # the end-user tokens' plan: the matrix is a burst
                             auth_failures_per_source="100000/minute")  # its 401 cells all come from one address
    async with AsyncExitStack() as stack:
        yield await build_world(await start_hub(stack, settings), jwks.idp)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory, jwks: JwksServer) -> AsyncIterator[World]:  # noqa: ANN001
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('objects')}/hub.db"
    await asyncio.to_thread(upgrade, url)
    async for built in _world(url, jwks):
        yield built


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pg_world(pg_url: str, jwks: JwksServer) -> AsyncIterator[World]:
    """A database of its own: a fresh sandbox numbers its shipments from the start again."""
    name = f"hub_test_{secrets.token_hex(4)}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    url = pg_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        await asyncio.to_thread(upgrade, url)
        async for built in _world(url, jwks):
            yield built
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
