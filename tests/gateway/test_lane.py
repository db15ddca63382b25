"""The hit lane (gateway/lane.py): a fresh cache hit answered from the request's bytes, exactly as
the chain answers it, and every other request declined to the chain (None), having spent nothing."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest

from gateway.lane import FLUSH_SECONDS
from tests.conftest import ADMIN_KEY, Hub, make_settings, start_hub
from tests.gateway.support import api

PRODUCT = "/v1/storefront/products/SKU-1001"
DEFAULTS = [(b"date", b"Mon, 07 Dec 2026 12:00:00 GMT")]
SHOP = "https://shop.example"


def request(path: str, *fields: tuple[str, str]) -> bytes:
    head = "".join(f"{name}: {value}\r\n" for name, value in (("Host", "hub"), *fields))
    return f"GET {path} HTTP/1.1\r\n{head}\r\n".encode()


def parse(answer: bytes) -> tuple[int, dict[str, str], bytes]:
    """Status, fields (a repeated one joined with ", ", as httpx shows it) and body."""
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    fields: dict[str, str] = {}
    for line in lines[1:]:
        name, value = line.split(": ", 1)
        fields[name.lower()] = f"{fields[name.lower()]}, {value}" if name.lower() in fields else value
    return int(lines[0].split(" ")[1]), fields, body


def policy(hub: Hub, name: str):  # noqa: ANN201
    return next(p for p in hub.app.edge.chain.policies if p.name == name)


def remaining(fields: dict[str, str]) -> int:
    return int(re.search(r";r=(\d+);", fields["ratelimit"]).group(1))  # type: ignore[union-attr]


@pytest.fixture
async def key(hub: Hub) -> str:
    key = await hub.new_key("catalog:read")
    assert (await hub.http.get(PRODUCT, headers=api(key))).headers["x-cache"] == "MISS"
    return key


async def test_a_hit_from_the_lane_is_the_chains_hit_with_its_own_request_fields(hub: Hub, key: str) -> None:
    chain = await hub.http.get(PRODUCT, headers=api(key))
    answer = hub.app.lane(request(PRODUCT, ("X-API-Key", key)), DEFAULTS)
    assert answer is not None
    status, fields, body = parse(answer)
    assert (status, body) == (200, chain.content)
    assert fields.pop("date") == "Mon, 07 Dec 2026 12:00:00 GMT"
    assert set(fields) == set(chain.headers), "the same fields, none missing, none added"
    for name in ("etag", "x-cache", "cache-control", "vary", "content-type", "content-length", "ratelimit-policy"):
        assert fields[name] == chain.headers[name], name
    assert remaining(fields) == remaining(dict(chain.headers)) - 1, "one token spent"
    assert re.fullmatch(r"[0-9a-f]{32}", fields["x-request-id"]) and fields["x-request-id"] != chain.headers["x-request-id"]
    assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-00", fields["traceparent"])


async def test_the_lane_echoes_a_request_id_and_continues_a_trace(hub: Hub, key: str) -> None:
    trace_id = secrets.token_hex(16)
    answer = hub.app.lane(request(PRODUCT, ("X-API-Key", key), ("X-Request-ID", "order-7:a"),
                                  ("traceparent", f"00-{trace_id}-{secrets.token_hex(8)}-00")), DEFAULTS)
    _, fields, _ = parse(answer)  # type: ignore[arg-type]
    assert fields["x-request-id"] == "order-7:a"
    assert fields["traceparent"].split("-")[1] == trace_id


async def test_a_client_asking_for_keep_alive_gets_the_lane(hub: Hub, key: str) -> None:
    assert hub.app.lane(request(PRODUCT, ("X-API-Key", key), ("Connection", "Keep-Alive")), DEFAULTS) is not None


async def test_the_lane_spends_one_token_an_answer_and_leaves_the_refusal_to_the_chain(hub: Hub, key: str) -> None:
    answered = 0
    while (answer := hub.app.lane(request(PRODUCT, ("X-API-Key", key)), DEFAULTS)) is not None:
        answered += 1
        assert answered <= 40, "the standard plan's burst is 40"
    assert 35 <= answered <= 39, answered  # one spent on the miss; a few refilled at 20/s meanwhile
    refused = await hub.http.get(PRODUCT, headers=api(key))
    assert refused.status_code == 429 and "retry-after" in refused.headers


async def test_a_declined_request_spends_nothing(hub: Hub, key: str) -> None:
    before = remaining(dict((await hub.http.get(PRODUCT, headers=api(key))).headers))
    assert hub.app.lane(request("/v1/storefront/products/SKU-1002", ("X-API-Key", key)), DEFAULTS) is None  # a miss
    after = await hub.http.get(PRODUCT, headers=api(key))
    assert remaining(dict(after.headers)) in (before - 1, before), "only the chain's own request was counted"


@pytest.mark.parametrize("fields", [
    (),
    (("X-API-Key", "hub_test_not-a-key-at-all"),),
    (("X-API-Key", "{key}"), ("X-API-Key", "{key}")),
    (("X-API-Key", "{key}"), ("Authorization", "Bearer x")),
    (("X-API-Key", "{key}"), ("If-None-Match", "*")),
    (("X-API-Key", "{key}"), ("Connection", "close")),
    (("X-API-Key", "{key}"), ("Connection", "keep-alive, Upgrade")),
    (("X-API-Key", "{key}"), ("Content-Length", "0")),
    (("X-API-Key", "{key}"), ("Transfer-Encoding", "chunked")),
], ids=["no-key", "unknown-key", "key-twice", "two-credentials", "conditional", "connection-close", "connection-upgrade",
        "content-length", "chunked"])
async def test_the_lane_declines_what_the_chain_must_judge(hub: Hub, key: str, fields: tuple) -> None:
    given = tuple((name, value.format(key=key)) for name, value in fields)
    assert hub.app.lane(request(PRODUCT, *given), DEFAULTS) is None


@pytest.mark.parametrize("path", ["/v1/storefront/products/SKU%2D1001", "/v1/storefront/products/SKU-1001#x", "/v1/storefront/products/SKU-1002",
                                  "/v1/storefront/products/SKU-1001?quantity=3", "/admin/v1/keys",
                                  "/v1/storefront/products/SKU-1001?customer_id=CUST-1"])
async def test_the_lane_declines_paths_it_holds_no_answer_for(hub: Hub, key: str, path: str) -> None:
    assert hub.app.lane(request(path, ("X-API-Key", key)), DEFAULTS) is None


async def test_a_key_without_the_routes_scope_is_declined(hub: Hub, key: str) -> None:
    other = await hub.new_key("orders:write")
    await hub.http.get(PRODUCT, headers=api(other))  # known to the key cache now (a 403 from the chain)
    assert hub.app.lane(request(PRODUCT, ("X-API-Key", other)), DEFAULTS) is None


async def test_an_invalidated_entry_is_declined_until_the_chain_fetches_it_again(hub: Hub, key: str) -> None:
    await policy(hub, "cache").cache.invalidate("SKU-1001")
    assert hub.app.lane(request(PRODUCT, ("X-API-Key", key)), DEFAULTS) is None
    assert (await hub.http.get(PRODUCT, headers=api(key))).headers["x-cache"] == "MISS"
    assert hub.app.lane(request(PRODUCT, ("X-API-Key", key)), DEFAULTS) is not None


async def test_a_revoked_key_is_declined_once_the_key_cache_forgets_it(hub: Hub, key: str) -> None:
    keys = policy(hub, "identity")._auth._keys  # noqa: SLF001 - the key service and its own cache
    key_id = (await keys.authenticate(key)).key_id
    assert (await hub.http.delete(f"/admin/v1/keys/{key_id}", headers={"X-API-Key": ADMIN_KEY})).status_code == 200
    keys._cache.clear()  # noqa: SLF001 - as when its entry expires (cache_seconds)
    assert hub.app.lane(request(PRODUCT, ("X-API-Key", key)), DEFAULTS) is None
    assert (await hub.http.get(PRODUCT, headers=api(key))).status_code == 401
    assert hub.app.lane(request(PRODUCT, ("X-API-Key", key)), DEFAULTS) is None, "a refused key stays declined"


async def test_a_source_refused_for_failed_credentials_gets_nothing_from_the_lane(hub: Hub, key: str) -> None:
    guard = policy(hub, "identity")._auth._guard  # noqa: SLF001
    for _ in range(200):
        if guard.blocking:
            break
        await hub.http.get(PRODUCT, headers={"X-API-Key": "hub_test_wrong"})
    assert guard.blocking
    assert hub.app.lane(request(PRODUCT, ("X-API-Key", key)), DEFAULTS) is None


async def test_lane_answers_count_in_the_edges_metrics(hub: Hub, key: str) -> None:
    requests, lookups = hub.app.edge._requests, policy(hub, "cache")._lookups  # noqa: SLF001
    before = requests.values.get(("storefront-v1", "200"), 0), lookups.values.get(("storefront-v1", "HIT"), 0)
    for _ in range(3):
        assert hub.app.lane(request(PRODUCT, ("X-API-Key", key)), DEFAULTS) is not None
    assert hub.app.lane(request("/v1/storefront/products/SKU-1002", ("X-API-Key", key)), DEFAULTS) is None
    hub.app.lane.flush()  # as its timer does within FLUSH_SECONDS
    after = requests.values[("storefront-v1", "200")], lookups.values[("storefront-v1", "HIT")]
    latency = hub.app.edge._latency.values[("storefront-v1",)]  # noqa: SLF001
    assert latency >= after[0], "every answer observed in the latency histogram too"
    assert after == (before[0] + 3, before[1] + 3)


@pytest.fixture
async def cors_hub(sqlite_url: str) -> AsyncIterator[Hub]:
    async with AsyncExitStack() as stack:
        yield await start_hub(stack, make_settings(sqlite_url, cors_origins=(SHOP,)))


@pytest.mark.parametrize("origin", [SHOP, "https://elsewhere.example"])
async def test_the_lane_gives_an_origin_the_chains_cors_fields(cors_hub: Hub, origin: str) -> None:
    key = await cors_hub.new_key("catalog:read")
    chain = [await cors_hub.http.get(PRODUCT, headers=api(key, Origin=origin)) for _ in range(2)][1]
    assert chain.headers["x-cache"] == "HIT"
    _, fields, _ = parse(cors_hub.app.lane(request(PRODUCT, ("X-API-Key", key), ("Origin", origin)), DEFAULTS))  # type: ignore[arg-type]
    for name in ("access-control-allow-origin", "access-control-expose-headers"):
        assert fields.get(name) == chain.headers.get(name), name


async def test_lane_answers_reach_the_metrics_by_themselves(hub: Hub, key: str) -> None:
    requests = hub.app.edge._requests  # noqa: SLF001
    before = requests.values.get(("storefront-v1", "200"), 0)
    assert hub.app.lane(request(PRODUCT, ("X-API-Key", key), ("X-Request-ID", " padded ")), DEFAULTS) is not None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + FLUSH_SECONDS + 5
    while requests.values.get(("storefront-v1", "200"), 0) == before:
        assert loop.time() < deadline, "the tally never reached the metrics"
        await asyncio.sleep(0.05)  # polling the metric, bounded by the deadline
    assert requests.values[("storefront-v1", "200")] == before + 1


async def test_field_whitespace_is_read_as_the_parser_reads_it(hub: Hub, key: str) -> None:
    answer = hub.app.lane(request(PRODUCT, ("X-API-Key", f" {key}\t"), ("X-Request-ID", "\tpadded-id "),
                                  ("Connection", " keep-alive ")), DEFAULTS)
    _, fields, _ = parse(answer)  # type: ignore[arg-type]
    assert fields["x-request-id"] == "padded-id"
