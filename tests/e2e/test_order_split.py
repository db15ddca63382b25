"""The order lifecycle on split roles with PostgreSQL + Redis, and the faults that touch Redis.

One deployment for the module: sandbox, system, process, experience, gateway and worker
roles as separate `hub serve --role X` processes on PostgreSQL, sharing a PRIVATE
redis-server started on a free port (so that killing it touches nothing else on the
machine). With Redis the relay publishes outbox rows to Redis Streams and the worker
reads them in a consumer group. Test pacing as in test_order_faults.py (lease 3 s,
republish after 3 s, backoff cap 1 s, autoship off).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest

from system_apis.sandbox.shopify.orders import SHOP_DOMAIN
from tests.commerce_hub.orders_support import until
from tests.idp import FakeIdp, ThreadedJwks
from tests.e2e.conftest import (
    ORDERS, RedisServer, SplitHub, assert_released_once, erp_sales_orders, hub_orders, kill_hard,
    order, order_views, place_all, place_order, private_redis, wait_statuses, warm_up)

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory) -> Iterator[RedisServer]:  # noqa: ANN001
    with private_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(scope="module")
def idp() -> FakeIdp:
    return FakeIdp()


@pytest.fixture(scope="module")
def split(pg_url, redis_server, tmp_path_factory, idp) -> SplitHub:  # noqa: ANN001
    # A worker that takes 4 messages at a time falls behind a burst: the stream then holds
    # published entries nobody has read yet, which is what a Redis restart loses.
    jwks = ThreadedJwks(idp)  # mobile apps send the identity provider's tokens
    hub = SplitHub(tmp_path_factory.mktemp("order-split"), pg_url, redis_url=redis_server.url,
                   extra_env={"HUB_WORKER_CONCURRENCY": "4", **jwks.env()})
    try:
        yield hub.start()
    finally:
        hub.stop()
        jwks.stop()


async def test_every_channel_goes_accepted_posted_released_shipped(split, clients, pg_url, idp) -> None:
    api, sandbox = clients
    storefront = {"X-API-Key": split.new_key("orders:write", "orders:read", "customers:any")}
    mobile = {"Authorization": "Bearer " + idp.token("ec-1", customer_id="CUST-BOLT", scope="orders:write orders:read",
                                                     exp=int(time.time()) + 3600)}
    partner = {"X-API-Key": split.new_key("orders:write", "orders:read", customer="CUST-ACME", plan="partner")}
    po_number = f"PO-{uuid.uuid4().hex[:8]}"
    placed = {
        "storefront": await place_order(api, ORDERS, order(
            lines=[{"sku": "SKU-1001", "quantity": 2, "unit_price": "99.00"}]), storefront, uuid.uuid4().hex),
        "mobile": await place_order(api, "/v1/mobile/orders", {
            "lines": [{"sku": "SKU-1003", "quantity": 1, "unit_price": "8.75"}]}, mobile, uuid.uuid4().hex),
        "partner": await place_order(api, "/v1/partner/orders", order(
            po_number=po_number, lines=[{"sku": "SKU-1002", "quantity": 1, "unit_price": "24.50"}]),
            partner, uuid.uuid4().hex),
    }
    for channel, response in placed.items():
        assert response.status_code == 201, (channel, response.text)
        assert response.json()["status"] == "accepted"
    made = await sandbox.post("/sandbox/shopify/orders", json={"line_items": [
        {"sku": "SKU-1001", "quantity": 1, "price": "129.00"}]})
    assert made.status_code == 201, made.text
    shopify_id = str(made.json()["order"]["id"])

    async def captured() -> list:
        return await hub_orders(pg_url, "channel = 'shopify' AND channel_order_ref = $1", shopify_id)

    [shopify_row] = await until(captured, timeout=30)
    orders = {channel: (response.json()["order_id"], headers, f"/v1/{channel}")
              for (channel, response), headers in zip(placed.items(), (storefront, mobile, partner))}
    shop = {"X-API-Key": split.new_key("orders:read", consumer=f"shopify:{SHOP_DOMAIN}")}
    orders["shopify"] = (shopify_row["order_id"], shop, "/v1/storefront")  # a guest order: its consumer's keys only

    for channel, (order_id, headers, prefix) in orders.items():
        [view] = (await wait_statuses(api, headers, [order_id], "released", 30, prefix)).values()
        assert view["channel"] == channel
        assert [h["status"] for h in view["history"]] == ["accepted", "posted", "released"], (channel, view)
        [record] = await erp_sales_orders(sandbox, external_ref=order_id)
        assert record["erp_order_number"] == view["erp_order_number"]
    [record] = await erp_sales_orders(sandbox, channel_order_ref=shopify_id)
    assert record["external_ref"] == orders["shopify"][0]
    [record] = await erp_sales_orders(sandbox, external_ref=orders["partner"][0])
    assert record["po_number"] == po_number

    for channel, (order_id, headers, prefix) in orders.items():
        shipped = await sandbox.post("/sandbox/wms/ship", json={"order_id": order_id})
        assert shipped.status_code == 200, shipped.text
        tracking = shipped.json()["tracking_number"]
        try:
            [view] = (await wait_statuses(api, headers, [order_id], "shipped", 60, prefix)).values()
        except AssertionError as exc:
            raise AssertionError(f"{channel}: {exc}\n{split.logs()}") from None
        assert [h["status"] for h in view["history"]] == ["accepted", "posted", "released", "shipped"]
        [shipment] = view["shipments"]
        assert shipment["tracking_number"] == tracking and shipment["carrier"]
        assert shipment["lines"] == [{"sku": l["sku"], "quantity": l["quantity"]} for l in view["lines"]]

    async def fulfilled() -> list:
        return (await sandbox.get("/sandbox/shopify/fulfillments", params={"order_id": shopify_id})).json()["items"]

    [fulfilment] = await until(fulfilled, timeout=30)
    shopify_view = (await order_views(api, shop, [orders["shopify"][0]]))[orders["shopify"][0]]
    assert fulfilment["tracking_number"] == shopify_view["shipments"][0]["tracking_number"]
    assert fulfilment["line_items"] == [{"sku": "SKU-1001", "quantity": 1}]
    assert len(await erp_sales_orders(sandbox)) == 4


async def test_a_worker_killed_mid_flow_on_redis_streams_loses_and_duplicates_nothing(split, clients) -> None:
    api, sandbox = clients
    headers = {"X-API-Key": split.new_key("orders:write", "orders:read", customer="CUST-ACME")}
    await warm_up(api, sandbox, headers)
    assert (await sandbox.put("/sandbox/erp/faults", json={"latency_ms": 500})).status_code == 200
    ids = await place_all(api, headers, 20)

    async def posting_started() -> bool:
        return bool(await erp_sales_orders(sandbox))

    await until(posting_started, timeout=20)
    kill_hard(split.roles["worker"])  # its stream entries stay pending under a dead consumer
    at_kill = {v["status"] for v in (await order_views(api, headers, ids)).values()}
    assert at_kill & {"accepted", "posted"}, f"nothing was left in flight to lose: {at_kill}"
    split.roles["worker"] = replacement = split.spawn("worker")
    replacement.wait_ready(60)
    await assert_released_once(api, sandbox, headers, ids, timeout=90)


async def test_redis_restarted_while_the_relay_runs_loses_and_duplicates_nothing(
        split, clients, redis_server) -> None:
    api, sandbox = clients
    headers = {"X-API-Key": split.new_key("orders:write", "orders:read", customer="CUST-ACME")}
    await warm_up(api, sandbox, headers)
    assert (await sandbox.put("/sandbox/erp/faults", json={"latency_ms": 500})).status_code == 200
    before = await place_all(api, headers, 15)

    async def posting_started() -> bool:
        return bool(await erp_sales_orders(sandbox))

    await until(posting_started, timeout=20)
    assert redis_server.undone_entries() > 0, "the streams held nothing for the restart to lose"
    redis_server.kill()  # the streams, the consumer group and every pending entry are gone
    at_kill = {v["status"] for v in (await order_views(api, headers, before)).values()}
    assert at_kill & {"accepted", "posted"}, f"nothing was left in flight to lose: {at_kill}"
    during = await place_all(api, headers, 5)  # capture needs no Redis: the outbox is in PostgreSQL
    redis_server.start()  # the same port, empty
    after = await place_all(api, headers, 10)
    await assert_released_once(api, sandbox, headers, before + during + after, timeout=90)

