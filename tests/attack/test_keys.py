"""Attacks with API keys and credentials at the edge: channel binding, conflicting or empty
credentials, revoked and rotated keys, scope and customer binding, floods of bad keys, and
OAuth client lock-out (issue 10, defects 8 and 9). Everything over ASGI to in-process hubs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest

from gateway.keys.service import KeyService
from gateway.policies.sources import SourceGuard
from tests.conftest import ADMIN_KEY, Hub, make_settings, start_hub, start_mobile_hub
from tests.gateway.support import api, assert_problem, create_key, eventually

PRODUCT = {"storefront": "/v1/storefront/products/SKU-1001", "mobile": "/v1/mobile/products/SKU-1001",
           "partner": "/v1/partner/price-list", "admin": "/admin/v1/plans"}


async def oauth_token(hub: Hub, key: dict, **fields: str) -> httpx.Response:
    form = {"grant_type": "client_credentials", "client_id": key["id"], "client_secret": key["key"], **fields}
    return await hub.http.post("/oauth/token", data=form)


async def credentials(hub: Hub) -> dict[str, dict[str, str]]:
    """One credential of every kind, each holding catalog:read for CUST-ACME."""
    key = await create_key(hub, "catalog:read", customer="CUST-ACME", plan="partner")
    token = (await oauth_token(hub, key)).json()["access_token"]
    return {"api_key": api(key["key"]), "oauth": {"Authorization": f"Bearer {token}"},
            "jwt": hub.mobile("catalog:read", customer="CUST-ACME"), "admin_key": api(ADMIN_KEY)}


ACCEPTED = {  # CONTRACT sections 3, 4, 5, 7
    ("api_key", "storefront"), ("api_key", "partner"), ("oauth", "partner"), ("jwt", "mobile"),
    ("api_key", "admin"), ("admin_key", "admin"), ("admin_key", "storefront"), ("admin_key", "partner"),
}
"""(credential, channel) pairs whose kind the channel accepts: 200, or 403 for a missing scope."""


async def test_each_channel_accepts_exactly_its_credential_kinds(hub: Hub) -> None:
    """Defect 9: an identity-provider token opened /v1/partner, a hub token /v1/mobile, a key /v1/mobile."""
    made = await credentials(hub)
    for kind, headers in made.items():
        for channel, path in PRODUCT.items():
            response = await hub.http.get(path, headers=headers)
            if (kind, channel) in ACCEPTED:
                assert response.status_code in (200, 403), (kind, channel, response.text)  # 403: scope, not kind
            else:
                assert_problem(response, 401, "unauthorized")
                assert response.headers["www-authenticate"], (kind, channel)


@pytest.mark.parametrize("channel", ["storefront", "partner"])
async def test_a_valid_key_beside_a_junk_bearer_is_401(hub: Hub, channel: str) -> None:
    key = await hub.new_key("catalog:read", customer="CUST-ACME")
    for junk in ("Bearer junk", "Bearer ", "Basic dXNlcjpwYXNz", ""):
        response = await hub.http.get(PRODUCT[channel], headers={"X-API-Key": key, "Authorization": junk})
        assert_problem(response, 401, "unauthorized")


async def test_an_empty_api_key_never_falls_through_to_the_bearer(hub: Hub) -> None:
    made = await credentials(hub)
    for header in ("", "  "):
        response = await hub.http.get(PRODUCT["partner"], headers={"X-API-Key": header, **made["oauth"]})
        assert_problem(response, 401, "unauthorized")
    assert (await hub.http.get(PRODUCT["partner"], headers=made["oauth"])).status_code == 200


async def test_a_credential_header_sent_twice_is_401(hub: Hub) -> None:
    key = await hub.new_key("catalog:read")
    bad = await hub.http.get(PRODUCT["storefront"], headers=[("X-API-Key", "chub_wrong"), ("X-API-Key", key)])
    assert_problem(bad, 401, "unauthorized")
    good = await hub.http.get(PRODUCT["storefront"], headers=[("X-API-Key", key), ("X-API-Key", key)])
    assert_problem(good, 401, "unauthorized")


async def test_a_key_without_the_scope_is_403_and_a_bound_key_cannot_act_for_another(hub: Hub) -> None:
    orders_only = await hub.new_key("orders:read", customer="CUST-ACME")
    assert_problem(await hub.http.get(PRODUCT["storefront"], headers=api(orders_only)), 403, "insufficient_scope")
    bolt = await hub.new_key("catalog:read", customer="CUST-BOLT")
    named = await hub.http.get(PRODUCT["storefront"], params={"customer_id": "CUST-ACME"}, headers=api(bolt))
    assert_problem(named, 403, "customer_forbidden")


async def test_a_rotated_secret_works_through_its_grace_then_is_refused(hub: Hub) -> None:
    key = await create_key(hub, "catalog:read")
    rotated = await hub.http.post(f"/admin/v1/keys/{key['id']}/rotate", json={"grace_seconds": 1},
                                  headers=api(ADMIN_KEY))
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["key"]
    assert (await hub.http.get(PRODUCT["storefront"], headers=api(key["key"]))).status_code == 200

    async def old_refused() -> bool:
        return (await hub.http.get(PRODUCT["storefront"], headers=api(key["key"]))).status_code == 401

    await eventually(old_refused, timeout=3.5)  # 1 s grace + at most 1 s of cached look-up
    assert (await hub.http.get(PRODUCT["storefront"], headers=api(new))).status_code == 200


@pytest.mark.postgres
@pytest.mark.redis
async def test_a_revoked_key_and_its_tokens_are_refused_on_every_instance_within_a_second(
        pg_url: str, redis_url: str) -> None:
    import redis as sync_redis

    sync_redis.Redis.from_url(redis_url).flushdb()
    async with AsyncExitStack() as stack:
        settings = make_settings(pg_url, redis_url=redis_url)
        one, two = [await start_hub(stack, settings) for _ in range(2)]
        for instance in (one, two):
            await asyncio.wait_for(instance.app.edge_bus_connected(), 5)
        key = await create_key(one, "catalog:read", customer="CUST-ACME")
        token = {"Authorization": f"Bearer {(await oauth_token(one, key)).json()['access_token']}"}
        for instance in (one, two):
            assert (await instance.http.get(PRODUCT["storefront"], headers=api(key["key"]))).status_code == 200
            assert (await instance.http.get(PRODUCT["partner"], headers=token)).status_code == 200
        assert (await one.http.delete(f"/admin/v1/keys/{key['id']}", headers=api(ADMIN_KEY))).status_code == 200

        async def refused_everywhere() -> bool:
            answers = [await i.http.get(PRODUCT["storefront"], headers=api(key["key"])) for i in (one, two)]
            answers += [await i.http.get(PRODUCT["partner"], headers=token) for i in (one, two)]
            return all(a.status_code == 401 for a in answers)

        assert await eventually(refused_everywhere, timeout=1.0) < 1.0


@pytest.fixture
async def strict_hub(sqlite_url: str) -> AsyncIterator[Hub]:
    """A hub allowing 5 failed authentications per source and minute."""
    async with AsyncExitStack() as stack:
        yield await start_mobile_hub(stack, sqlite_url, auth_failures_per_source="5/minute")


async def test_a_flood_of_bad_keys_gets_429_without_checking_them(strict_hub: Hub,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Defect 8: 1,300 bad-key requests/s each cost a hash and a database look-up."""
    checked = []
    authenticate = KeyService.authenticate

    async def counting(self: KeyService, secret: str):  # noqa: ANN202
        checked.append(secret)
        return await authenticate(self, secret)

    monkeypatch.setattr(KeyService, "authenticate", counting)
    answers = [await strict_hub.http.get(PRODUCT["storefront"], headers=api(f"chub_guess{i}")) for i in range(50)]
    assert [a.status_code for a in answers[:5]] == [401] * 5
    assert {a.status_code for a in answers[5:]} == {429}
    assert len(checked) == 5  # the refused ones were never hashed or looked up
    for response in (answers[5], answers[-1]):
        assert_problem(response, 429, "rate_limited")
        assert 1 <= int(response.headers["retry-after"]) <= 60
    no_key = await strict_hub.http.get(PRODUCT["storefront"])
    assert_problem(no_key, 429, "rate_limited")
    oauth = await strict_hub.http.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": "key_x",
                                                              "client_secret": "chub_x"})
    assert oauth.status_code == 429 and oauth.json()["error"] == "temporarily_unavailable"


async def test_another_source_is_not_slowed_by_a_flood_nor_is_x_forwarded_for_believed(strict_hub: Hub) -> None:
    good = await strict_hub.new_key("catalog:read")
    for i in range(8):  # X-Forwarded-For from a client is not believed: all from 127.0.0.1
        await strict_hub.http.get(PRODUCT["storefront"],
                                  headers={"X-API-Key": "chub_bad", "X-Forwarded-For": f"10.0.0.{i}"})
    blocked = await strict_hub.http.get(PRODUCT["storefront"],
                                        headers={"X-API-Key": good, "X-Forwarded-For": "10.9.9.9"})
    assert_problem(blocked, 429, "rate_limited")
    other = httpx.AsyncClient(transport=httpx.ASGITransport(app=strict_hub.app, client=("192.0.2.7", 5000)),
                              base_url="http://hub")
    async with other:
        assert (await other.get(PRODUCT["storefront"], headers=api(good))).status_code == 200


def scope_from(peer: str, *forwarded: str) -> dict:
    return {"client": (peer, 1234), "headers": [(b"x-forwarded-for", f.encode()) for f in forwarded]}


def test_the_source_is_the_peer_unless_a_trusted_proxy_forwards_it() -> None:
    plain = SourceGuard("5/minute")
    assert plain.source(scope_from("203.0.113.5", "198.51.100.1")) == "203.0.113.5"
    behind = SourceGuard("5/minute", trusted_proxies=["10.0.0.0/8"])
    assert behind.source(scope_from("10.0.0.2", "198.51.100.1")) == "198.51.100.1"
    # a client's own X-Forwarded-For sits left of what the proxy appended: never reached
    assert behind.source(scope_from("10.0.0.2", "1.2.3.4, 198.51.100.1")) == "198.51.100.1"
    assert behind.source(scope_from("10.0.0.2", "198.51.100.1, 10.0.0.3")) == "198.51.100.1"  # two proxies
    assert behind.source(scope_from("10.0.0.2", "1.2.3.4, garbage")) == "10.0.0.2"
    assert behind.source(scope_from("203.0.113.5", "198.51.100.1")) == "203.0.113.5"  # peer not trusted
    a, b = plain.source(scope_from("2001:db8:1:2::1")), plain.source(scope_from("2001:db8:1:2:ffff::9"))
    assert a == b == "2001:db8:1:2::/64"


async def test_wrong_oauth_secrets_never_lock_out_the_right_one(hub: Hub) -> None:
    """Defect 8: eleven wrong secrets for a client_id (public: it is in every token) locked
    out the right secret for 60 s."""
    key = await create_key(hub, "catalog:read", customer="CUST-ACME", plan="partner")
    statuses = [(await oauth_token(hub, key, client_secret=f"chub_wrong{i}")).status_code for i in range(12)]
    assert statuses[:10] == [401] * 10 and statuses[10:] == [429, 429]
    started = time.monotonic()
    right = await oauth_token(hub, key)
    assert right.status_code == 200, right.text
    assert time.monotonic() - started < 1.0
    token = {"Authorization": f"Bearer {right.json()['access_token']}"}
    assert (await hub.http.get(PRODUCT["partner"], headers=token)).status_code == 200
