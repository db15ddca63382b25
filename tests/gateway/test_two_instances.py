"""Two hub instances sharing the real PostgreSQL and Redis, as in production.

Revocation, plans, the rate limit and the response cache must hold across
them: a key revoked on one is refused on the other within 1 s; a plan's limit
is shared; a purge or a backend event on one drops cached answers on both.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

import pytest

from tests.conftest import ADMIN_KEY, make_settings, start_hub

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
ADMIN = {"X-API-Key": ADMIN_KEY}
PRODUCT = "/v1/storefront/products/SKU-1001"


@pytest.fixture
async def pair(pg_url, redis_url):
    async with AsyncExitStack() as stack:
        import redis as sync_redis

        sync_redis.Redis.from_url(redis_url).flushdb()  # the test Redis db: no cache or limits of earlier tests
        settings = make_settings(pg_url, redis_url=redis_url)
        one, two = [await start_hub(stack, settings) for _ in range(2)]
        for hub in (one, two):
            await asyncio.wait_for(hub.app.edge_bus_connected(), 5)
        yield one, two


async def eventually(check, timeout: float = 1.0) -> float:  # noqa: ANN001
    """Seconds until `check()` is true; fails past `timeout`."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    while not await check():
        assert loop.time() - started < timeout, "condition not met in time"
        await asyncio.sleep(0.01)
    return loop.time() - started


async def test_a_key_revoked_on_one_instance_is_refused_on_the_other_within_a_second(pair):
    one, two = pair
    made = (await one.http.post("/admin/v1/keys", headers=ADMIN,
                                json={"consumer": "rev", "scopes": ["catalog:read"]})).json()
    headers = {"X-API-Key": made["key"]}
    assert (await two.http.get(PRODUCT, headers=headers)).status_code == 200
    assert (await one.http.delete(f"/admin/v1/keys/{made['id']}", headers=ADMIN)).status_code == 200

    async def refused() -> bool:
        return (await two.http.get(PRODUCT, headers=headers)).status_code == 401

    assert await eventually(refused, 1.0) < 1.0


async def test_a_plan_is_shared_and_its_limit_holds_across_instances(pair):
    one, two = pair
    put = await one.http.put("/admin/v1/plans/tiny", headers=ADMIN, json={"rate_per_second": 0.01, "burst": 10})
    assert put.status_code in (200, 201)

    async def known_on_two() -> bool:
        plans = (await two.http.get("/admin/v1/plans", headers=ADMIN)).json()["items"]
        return any(p["name"] == "tiny" for p in plans)

    await eventually(known_on_two, 1.0)
    key = await one.new_key("catalog:read", plan="tiny")
    answers = await asyncio.gather(*((one, two)[i % 2].http.get(PRODUCT, headers={"X-API-Key": key}) for i in range(30)))
    statuses = [a.status_code for a in answers]
    assert statuses.count(200) <= 10 and statuses.count(429) >= 20
    assert all(a.headers["ratelimit-policy"] == '"tiny";q=10;w=1000' for a in answers)


async def test_a_purge_on_one_instance_drops_cached_answers_on_both(pair):
    one, two = pair
    key = await one.new_key("catalog:read")
    headers = {"X-API-Key": key}
    for hub in (one, two):
        await hub.http.get(PRODUCT, headers=headers)
        second = await hub.http.get(PRODUCT, headers=headers)
        assert second.headers.get("x-cache") == "HIT", (second.status_code, second.text)
    assert (await one.http.post("/admin/v1/cache/purge", headers=ADMIN, json={"sku": "SKU-1001"})).status_code == 202

    async def missed_on_two() -> bool:
        answer = await two.http.get(PRODUCT, headers=headers)
        assert answer.status_code == 200, answer.text
        return answer.headers["x-cache"] == "MISS"

    await eventually(missed_on_two, 1.0)


async def test_a_backend_event_on_one_instance_refreshes_the_answer_on_the_other(pair):
    one, two = pair
    key = await one.new_key("catalog:read")
    headers = {"X-API-Key": key}
    await two.http.get(PRODUCT, headers=headers)
    assert (await two.http.get(PRODUCT, headers=headers)).headers["x-cache"] == "HIT"
    changed = await one.http.post("/sandbox/wms/stock", json={"sku": "SKU-1001", "location": "DC-EAST", "on_hand": 1})
    assert changed.status_code == 200

    async def refetched_on_two() -> bool:
        answer = await two.http.get(PRODUCT, headers=headers)
        assert answer.status_code == 200, answer.text
        return answer.headers["x-cache"] == "MISS"

    assert await eventually(refetched_on_two, 2.0) < 2.0
