"""The edge (gateway/edge.py): request ids, trace continuation, routing, body limit, RateLimit fields."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator

import pytest

from tests.conftest import Hub
from tests.gateway.support import api, assert_problem

PRODUCT = "/v1/storefront/products/SKU-1001"
UNKNOWN = "/v1/storefront/products/SKU-9999"
POLICY = re.compile(r'^"(?P<plan>[a-z]+)";q=(?P<q>\d+);w=(?P<w>\d+)$')
LIMIT = re.compile(r'^"(?P<plan>[a-z]+)";r=(?P<r>\d+);t=(?P<t>\d+)$')


@pytest.fixture
async def key(hub: Hub) -> str:
    return await hub.new_key("catalog:read")


@pytest.mark.parametrize("request_id", ["abc-123", "req_01HF.2:x", "a" * 200])
async def test_a_valid_request_id_is_echoed(hub: Hub, key: str, request_id: str) -> None:
    response = await hub.http.get(PRODUCT, headers=api(key, **{"X-Request-ID": request_id}))
    assert response.headers["x-request-id"] == request_id


@pytest.mark.parametrize("request_id", ["a" * 300, "has spaces", "semi;colon", "<script>"])
async def test_an_invalid_request_id_is_replaced(hub: Hub, key: str, request_id: str) -> None:
    response = await hub.http.get(PRODUCT, headers=api(key, **{"X-Request-ID": request_id}))
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


@pytest.mark.parametrize("path", [PRODUCT, "/health/live", "/no/such/path"])
async def test_a_request_id_is_made_when_absent_on_every_kind_of_answer(hub: Hub, path: str) -> None:
    first, second = [(await hub.http.get(path)).headers["x-request-id"] for _ in range(2)]
    assert first != second and re.fullmatch(r"[0-9a-f]{32}", first)


async def test_a_problem_continues_the_incoming_w3c_trace(hub: Hub, key: str) -> None:
    trace_id, span_id = secrets.token_hex(16), secrets.token_hex(8)
    response = await hub.http.get(UNKNOWN, headers=api(key, traceparent=f"00-{trace_id}-{span_id}-01"))
    assert assert_problem(response, 404, "unknown_sku")["trace_id"] == trace_id


async def test_without_traceparent_each_problem_has_its_own_trace(hub: Hub, key: str) -> None:
    ids = {assert_problem(await hub.http.get(UNKNOWN, headers=api(key)), 404, "unknown_sku")["trace_id"] for _ in range(3)}
    assert len(ids) == 3


@pytest.mark.parametrize("path", ["/v9/storefront/products/SKU-1001", "/v1/nowhere", "/admin/v2/keys"])
async def test_an_unknown_path_is_a_404_problem_without_credentials(hub: Hub, path: str) -> None:
    assert_problem(await hub.http.get(path), 404, "not_found")


async def test_an_unknown_route_inside_an_api_is_a_404_problem(hub: Hub, key: str) -> None:
    assert_problem(await hub.http.get("/v1/storefront/nothing-here", headers=api(key)), 404, "not_found")


async def test_an_authenticated_answer_carries_the_ietf_ratelimit_fields(hub: Hub, key: str) -> None:
    response = await hub.http.get(PRODUCT, headers=api(key))
    policy = POLICY.match(response.headers["ratelimit-policy"])
    limit = LIMIT.match(response.headers["ratelimit"])
    assert policy and limit, response.headers
    assert (policy["plan"], policy["q"], policy["w"]) == ("standard", "40", "2")  # burst 40 at 20/s
    assert limit["plan"] == "standard" and int(limit["r"]) == 39 and int(limit["t"]) >= 1


async def test_problems_of_an_authenticated_caller_carry_the_fields_too(hub: Hub, key: str) -> None:
    response = await hub.http.get(UNKNOWN, headers=api(key))
    assert POLICY.match(response.headers["ratelimit-policy"]) and LIMIT.match(response.headers["ratelimit"])


async def test_a_key_on_the_partner_plan_shows_the_partner_policy(hub: Hub) -> None:
    key = await hub.new_key("catalog:read", plan="partner")
    assert (await hub.http.get(PRODUCT, headers=api(key))).headers["ratelimit-policy"] == '"partner";q=100;w=2'


async def test_unauthenticated_routes_carry_no_ratelimit_fields(hub: Hub) -> None:
    assert "ratelimit" not in (await hub.http.get("/health/live")).headers


async def test_the_standard_burst_of_40_is_served_then_429(hub: Hub) -> None:
    key = await hub.new_key("catalog:read", plan="standard")
    statuses = []
    for _ in range(200):  # refill at 20/s may add a few; 200 is far beyond what the loop can refill
        response = await hub.http.get("/v1/storefront/nothing-here", headers=api(key))
        statuses.append(response.status_code)
        if response.status_code == 429:
            break
    assert statuses[-1] == 429 and len(statuses) > 40 and 429 not in statuses[:40], statuses
    assert_problem(response, 429, "rate_limited")
    assert int(response.headers["retry-after"]) >= 1
    assert LIMIT.match(response.headers["ratelimit"])["r"] == "0"


async def test_one_consumer_over_its_limit_does_not_limit_another(hub: Hub) -> None:
    noisy, quiet = await hub.new_key("catalog:read"), await hub.new_key("catalog:read")
    while (await hub.http.get("/v1/storefront/nothing-here", headers=api(noisy))).status_code != 429:
        pass
    assert (await hub.http.get(PRODUCT, headers=api(quiet))).status_code == 200


async def _chunks(total: int, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for _ in range(total // size + 1):
        yield b" " * size


async def test_a_streamed_body_without_content_length_is_411_before_it_is_read(hub: Hub, key: str) -> None:
    """Chunked bodies are refused (docs/security.md, framing), however long: nothing is read."""
    response = await hub.http.post("/v1/storefront/price-availability", content=_chunks(1024 * 1024 + 1),
                                   headers=api(key, **{"content-type": "application/json"}))
    assert "content-length" not in response.request.headers
    assert_problem(response, 411, "length_required")


async def test_an_oversized_content_length_is_refused_before_authentication(hub: Hub) -> None:
    response = await hub.http.post("/v1/storefront/price-availability", content=b"x" * (1024 * 1024 + 1))
    assert_problem(response, 413, "payload_too_large")


async def test_cached_answers_carry_each_requests_own_headers(hub: Hub, key: str) -> None:
    """A hit's headers are prebuilt per cache entry; the request id and RateLimit fields are
    each request's own, never the ones of the request that filled the cache. Ten other requests
    of the key between two reads spend ten tokens: the bucket refills one per 50 ms, so each
    read's remaining is lower than the one before however slow the machine is (within 500 ms)."""
    answers = []
    for n in range(3):
        answers.append(await hub.http.get(PRODUCT, headers=api(key, **{"X-Request-ID": f"req-{n}"})))
        for _ in range(10):
            await hub.http.get(UNKNOWN, headers=api(key))
    assert [a.headers["x-cache"] for a in answers] == ["MISS", "HIT", "HIT"]
    assert [a.headers["x-request-id"] for a in answers] == ["req-0", "req-1", "req-2"]
    remaining = [int(LIMIT.match(a.headers["ratelimit"])["r"]) for a in answers]
    assert remaining[0] > remaining[1] > remaining[2]
    assert len({a.headers["etag"] for a in answers}) == 1 and len({a.content for a in answers}) == 1
    for answer in answers:  # one of each header, none repeated by the prebuilt list
        names = [name.lower() for name, _ in answer.headers.multi_items()]
        assert len(names) == len(set(names)), names
        assert int(answer.headers["content-length"]) == len(answer.content)


async def test_a_revalidation_hit_is_304_with_the_requests_own_headers(hub: Hub, key: str) -> None:
    etag = (await hub.http.get(PRODUCT, headers=api(key))).headers["etag"]
    for n in range(2):
        response = await hub.http.get(PRODUCT, headers=api(key, **{"If-None-Match": f'W/{etag}, "other"',
                                                                     "X-Request-ID": f"again-{n}"}))
        assert response.status_code == 304 and response.content == b""
        assert (response.headers["etag"], response.headers["x-request-id"]) == (etag, f"again-{n}")
        assert response.headers["x-cache"] == "HIT" and LIMIT.match(response.headers["ratelimit"])
    assert (await hub.http.get(PRODUCT, headers=api(key, **{"If-None-Match": '"other"'}))).status_code == 200
