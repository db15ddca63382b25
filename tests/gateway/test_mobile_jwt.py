"""The mobile bearer path through the whole hub (CONTRACT sections 1, 2 and 4).

A real identity provider stand-in serves its JWKS over HTTP on a free local
port; the one-process hub is configured with ``HUB_JWT_ISSUER``/``AUDIENCE``/
``JWKS_URL`` exactly as in production and fetches the keys itself. Tokens are
minted with RS256 and ES256 keys and sent to ``GET /v1/mobile/products/{sku}``:
edge, identity, rate limit, response cache, mobile API, pricing and the
sandbox backends all take part.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.conftest import Hub, make_settings, start_hub
from tests.gateway.support import assert_problem
from tests.idp import AUDIENCE, ISSUER, FakeIdp, JwksServer

PRODUCT = "/v1/mobile/products/SKU-1001"


@pytest.fixture
def idp() -> FakeIdp:
    return FakeIdp()


@pytest.fixture
async def jwks(idp: FakeIdp) -> AsyncIterator[JwksServer]:
    async with JwksServer(idp) as server:
        yield server


@pytest.fixture
async def mobile_hub(sqlite_url: str, jwks: JwksServer) -> AsyncIterator[Hub]:
    settings = make_settings(sqlite_url, jwt_issuer=ISSUER, jwt_audience=AUDIENCE, jwt_jwks_url=jwks.url)
    async with AsyncExitStack() as stack:
        yield await start_hub(stack, settings)


async def get(hub: Hub, token: str, path: str = PRODUCT) -> httpx.Response:
    return await hub.http.get(path, headers={"Authorization": f"Bearer {token}"})


def acme(idp: FakeIdp, kid: str, **claims: Any) -> str:
    """A signed-in ACME buyer's token: customer claim, catalog scope."""
    return idp.token(kid, **{"customer_id": "CUST-ACME", "scope": "catalog:read", **claims})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict, claims: dict) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"


def claims_of(**overrides: Any) -> dict:
    now = int(time.time())
    return {"iss": ISSUER, "aud": AUDIENCE, "sub": "user-42", "customer_id": "CUST-ACME", "scope": "catalog:read",
            "iat": now, "nbf": now, "exp": now + 300, **overrides}


def assert_refused(response: httpx.Response) -> None:
    """401, a problem, and a challenge naming the Bearer scheme."""
    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer ")


@pytest.mark.parametrize("kid", ["rsa-1", "ec-1"])  # RS256 and ES256
async def test_a_customer_token_gets_the_contract_price_and_a_stock_level(
        mobile_hub: Hub, idp: FakeIdp, jwks: JwksServer, kid: str) -> None:
    response = await get(mobile_hub, acme(idp, kid))
    assert response.status_code == 200, response.text
    assert response.json() == {"sku": "SKU-1001", "name": "Cordless Drill 18V", "price": "99.00", "currency": "USD",
                               "in_stock": True, "stock_level": "high"}
    assert re.fullmatch(r'"standard";q=40;w=2', response.headers["ratelimit-policy"])
    assert re.fullmatch(r'"standard";r=\d+;t=\d+', response.headers["ratelimit"])
    assert response.headers["x-request-id"]
    assert jwks.fetches == 1  # the hub fetched the provider's keys itself, once


async def test_the_answer_is_cached_per_customer_never_across(mobile_hub: Hub, idp: FakeIdp) -> None:
    first, second = [await get(mobile_hub, acme(idp, "ec-1")) for _ in range(2)]
    assert (first.headers["x-cache"], second.headers["x-cache"]) == ("MISS", "HIT")
    assert second.json()["price"] == "99.00"
    bolt = await get(mobile_hub, idp.token("rsa-1", sub="user-7", customer_id="CUST-BOLT", scope="catalog:read"))
    assert (bolt.status_code, bolt.json()["price"], bolt.headers["x-cache"]) == (200, "129.00", "MISS")
    revalidated = await mobile_hub.http.get(PRODUCT, headers={"Authorization": f"Bearer {acme(idp, 'ec-1')}",
                                                              "If-None-Match": second.headers["etag"]})
    assert revalidated.status_code == 304


async def test_without_a_customer_claim_the_token_acts_for_its_sub(mobile_hub: Hub, idp: FakeIdp) -> None:
    """CONTRACT section 2: a mobile token acts for its ``customer_id`` claim, else its ``sub``,
    and a customer the ERP does not know is 422 ``unknown_customer`` (section 9); a ``sub``
    that is a known customer gets that customer's price."""
    guest = await get(mobile_hub, idp.token("rsa-1", sub="user-42", scope="catalog:read"))
    assert_problem(guest, 422, "unknown_customer")
    assert "ratelimit" in guest.headers
    bolt = await get(mobile_hub, idp.token("ec-1", sub="CUST-BOLT", scope="catalog:read"))
    assert (bolt.status_code, bolt.json()["price"]) == (200, "129.00")


async def test_a_token_without_the_scope_is_403(mobile_hub: Hub, idp: FakeIdp) -> None:
    response = await get(mobile_hub, acme(idp, "rsa-1", scope="orders:read"))
    assert_problem(response, 403, "insufficient_scope")
    assert "ratelimit-policy" in response.headers


async def test_alg_none_is_401(mobile_hub: Hub) -> None:
    assert_refused(await get(mobile_hub, unsigned({"alg": "none", "typ": "JWT", "kid": "rsa-1"}, claims_of()) + "."))


async def test_hs256_signed_with_the_providers_public_key_is_401(mobile_hub: Hub, idp: FakeIdp) -> None:
    """The classic confusion: the RSA public key (as published) used as an HMAC secret."""
    pem = idp.private["rsa-1"].public_key().public_bytes(serialization.Encoding.PEM,
                                                         serialization.PublicFormat.SubjectPublicKeyInfo)
    signing_input = unsigned({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}, claims_of())
    signature = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    assert_refused(await get(mobile_hub, f"{signing_input}.{_b64(signature)}"))


@pytest.mark.parametrize("claims", [
    {"aud": "someone-else"},
    {"iss": "https://evil.example/"},
    {"exp": -61, "iat": -400, "nbf": -400},
    {"nbf": 120},
], ids=["wrong-audience", "wrong-issuer", "expired-beyond-leeway", "not-yet-valid"])
async def test_a_token_with_wrong_claims_is_401(mobile_hub: Hub, idp: FakeIdp, claims: dict) -> None:
    now = int(time.time())  # times relative to when the test runs, not to collection
    claims = {k: now + v if k in ("exp", "iat", "nbf") else v for k, v in claims.items()}
    assert_refused(await get(mobile_hub, acme(idp, "ec-1", **claims)))


async def test_an_unknown_kid_is_401_after_one_refetch(mobile_hub: Hub, idp: FakeIdp, jwks: JwksServer) -> None:
    rogue = ec.generate_private_key(ec.SECP256R1())
    assert (await get(mobile_hub, acme(idp, "ec-1"))).status_code == 200
    assert_refused(await get(mobile_hub, acme(idp, "rogue", alg="ES256", key=rogue)))
    assert_refused(await get(mobile_hub, acme(idp, "rogue", alg="ES256", key=rogue)))
    assert jwks.fetches <= 2  # refetches on unknown kids are rate limited


async def test_a_key_signed_by_another_party_under_a_known_kid_is_401(mobile_hub: Hub, idp: FakeIdp) -> None:
    assert_refused(await get(mobile_hub, acme(idp, "ec-1", key=ec.generate_private_key(ec.SECP256R1()))))


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b.c", ""])
async def test_garbage_is_401(mobile_hub: Hub, token: str) -> None:
    assert_refused(await get(mobile_hub, token))
