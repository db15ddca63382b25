"""The identity provider's JWKS (gateway/tokens/keycache.py + idp.jwks_loader): cached, refetched on
an unknown kid at most once per 10 s, coalesced, and kept when the provider fails."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from gateway.tokens.idp import IdpVerifier, jwks_loader
from gateway.tokens.keycache import KeyCache
from shared.errors import Unauthorized
from tests.gateway.tokens.conftest import JWKS_URL, FakeIdp, Ticks


async def test_the_jwks_is_fetched_once_and_cached(idp: FakeIdp, idp_verifier: IdpVerifier) -> None:
    for _ in range(5):
        await idp_verifier(idp.token("rsa-1"))
        await idp_verifier(idp.token("ec-1"))
    assert idp.fetches == 1


async def rotated_after_warm_up(idp: FakeIdp, verifier: IdpVerifier, ticks: Ticks, kid: str = "rotated-2") -> None:
    """The key set was fetched once; 11 s later the provider starts signing with a new key `kid`."""
    await verifier(idp.token())
    ticks.value += 11
    idp.add_key(kid)


async def test_an_unknown_kid_refetches_once_and_then_verifies(idp: FakeIdp, idp_verifier: IdpVerifier, ticks: Ticks) -> None:
    await rotated_after_warm_up(idp, idp_verifier, ticks)
    assert (await idp_verifier(idp.token("rotated-2"))).consumer == "idp:user-42"
    assert idp.fetches == 2


async def test_a_kid_still_unknown_after_the_refetch_is_refused(idp: FakeIdp, idp_verifier: IdpVerifier, ticks: Ticks) -> None:
    await rotated_after_warm_up(idp, idp_verifier, ticks, "secret-kid")
    idp.published.remove("secret-kid")
    with pytest.raises(Unauthorized):
        await idp_verifier(idp.token("secret-kid"))
    assert idp.fetches == 2


async def test_twenty_concurrent_unknown_kids_share_one_fetch(idp: FakeIdp, idp_verifier: IdpVerifier, ticks: Ticks) -> None:
    await rotated_after_warm_up(idp, idp_verifier, ticks)
    idp.delay = 0.05
    principals = await asyncio.gather(*(idp_verifier(idp.token("rotated-2")) for _ in range(20)))
    assert len(principals) == 20 and idp.fetches == 2


async def test_unknown_kids_refetch_at_most_once_per_ten_seconds(idp: FakeIdp, idp_verifier: IdpVerifier, ticks: Ticks) -> None:
    await idp_verifier(idp.token())
    ticks.value += 11
    for n in range(5):
        with pytest.raises(Unauthorized):
            await idp_verifier(idp.token(f"random-{n}", key=idp.private["ec-1"], alg="ES256"))
    assert idp.fetches == 2
    idp.add_key("rotated-2")
    ticks.value += 5  # still inside the 10 s: the new key is not fetched yet
    with pytest.raises(Unauthorized):
        await idp_verifier(idp.token("rotated-2"))
    ticks.value += 6
    assert await idp_verifier(idp.token("rotated-2"))
    assert idp.fetches == 3


async def test_the_set_is_refetched_when_its_max_age_passes(idp: FakeIdp, idp_verifier: IdpVerifier, ticks: Ticks) -> None:
    idp.cache_control = "max-age=120"
    await idp_verifier(idp.token())
    ticks.value += 119
    await idp_verifier(idp.token())
    assert idp.fetches == 1
    ticks.value += 2
    await idp_verifier(idp.token())
    assert idp.fetches == 2


@pytest.mark.parametrize("failure", ["status", "network", "not-json", "no-keys"])
async def test_the_last_good_keys_stay_when_the_provider_fails(idp: FakeIdp, ticks: Ticks, failure: str) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        if not idp.failing:
            return await idp.handler(request)
        idp.fetches += 1
        if failure == "network":
            raise httpx.ConnectError("refused", request=request)
        return {"status": httpx.Response(500), "not-json": httpx.Response(200, content=b"<html>"),
                "no-keys": httpx.Response(200, json={"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "h"}]})}[failure]

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        cache = KeyCache(jwks_loader(http, JWKS_URL), min_interval=10.0, name="t", clock=ticks)
        verifier = IdpVerifier(cache, issuer="https://idp.example/", audience="commerce-hub-mobile")
        await verifier(idp.token())
        idp.failing = True
        ticks.value += 301  # the cached set has expired: the next request tries to refetch
        for _ in range(3):
            assert await verifier(idp.token("ec-1"))
        assert idp.fetches == 2  # one failed attempt, then rate limited
        ticks.value += 11
        assert await verifier(idp.token())
        assert idp.fetches == 3


async def test_with_no_key_set_ever_fetched_every_token_is_refused(idp: FakeIdp, idp_verifier: IdpVerifier) -> None:
    idp.failing = True
    with pytest.raises(Unauthorized):
        await idp_verifier(idp.token())
