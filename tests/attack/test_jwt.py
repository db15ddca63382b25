"""Attacks with bearer tokens, for both kinds the hub accepts: the identity provider's
mobile JWTs (on /v1/mobile) and the hub's own OAuth tokens (on /v1/partner). Every forged,
stale, misaddressed or oversized token is a 401 problem with ``WWW-Authenticate``; no header
brings its own key; unknown kids cannot make the hub refetch the JWKS per request; a token
never carries more than its source holds."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any, NamedTuple

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from sqlalchemy import select

from gateway.tokens.jose import public_jwk
from shared.db.engine import create_engine, dispose
from shared.db.tables import signing_keys
from tests.conftest import Hub, make_settings, start_hub
from tests.gateway.support import assert_problem, create_key
from tests.idp import AUDIENCE, ISSUER, FakeIdp, JwksServer

MOBILE, PARTNER = "/v1/mobile/products/SKU-1001", "/v1/partner/price-list"


class Forger(NamedTuple):
    """How to mint a token of one kind: the claims a genuine one has, and its real signing key."""

    path: str
    kid: str
    alg: str
    key: Any
    claims: dict[str, Any]
    typ: str


class Rig(NamedTuple):
    hub: Hub
    jwks: JwksServer
    mobile: Forger
    partner: Forger


@pytest.fixture
async def rig(sqlite_url: str) -> AsyncIterator[Rig]:
    idp = FakeIdp()
    async with AsyncExitStack() as stack:
        jwks = await stack.enter_async_context(JwksServer(idp))
        hub = await start_hub(stack, make_settings(sqlite_url, **jwks.settings()), idp=idp)
        key = await create_key(hub, "catalog:read", customer="CUST-ACME", plan="partner")
        now = int(time.time())
        mobile = Forger(MOBILE, "ec-1", "ES256", idp.private["ec-1"], {
            "iss": ISSUER, "aud": AUDIENCE, "sub": "user-42", "customer_id": "CUST-ACME", "scope": "catalog:read",
            "iat": now, "nbf": now, "exp": now + 300}, "JWT")
        engine = create_engine(sqlite_url)
        async with engine.connect() as conn:
            row = (await conn.execute(select(signing_keys).where(signing_keys.c.retired_at.is_(None)))).one()
        await dispose(engine)
        hub_key = serialization.load_pem_private_key(row.private_pem.encode(), None)
        partner = Forger(PARTNER, row.kid, row.algorithm, hub_key,
                         {"iss": "commerce-hub", "aud": "commerce-hub", "sub": key["id"], "client_id": key["id"],
                          "scope": "catalog:read", "iat": now, "nbf": now, "exp": now + 300,
                          "jti": secrets.token_urlsafe(8)}, "at+jwt")
        yield Rig(hub, jwks, mobile, partner)


def sign(forger: Forger, *, key: Any = None, alg: str | None = None, headers: dict | None = None,
         **claims: Any) -> str:
    body = {k: v for k, v in {**forger.claims, **claims}.items() if v is not None}
    return jwt.encode(body, key or forger.key, algorithm=alg or forger.alg,
                      headers={"kid": forger.kid, "typ": forger.typ, **(headers or {})})


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict, claims: dict) -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"


async def refused(rig: Rig, forger: Forger, token: str) -> None:
    response = await rig.hub.http.get(forger.path, headers={"Authorization": f"Bearer {token}"})
    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer ")


KINDS = ["mobile", "partner"]


@pytest.mark.parametrize("kind", KINDS)
async def test_a_genuine_token_is_accepted(rig: Rig, kind: str) -> None:
    """The control: everything below differs from this in one thing only."""
    forger = getattr(rig, kind)
    response = await rig.hub.http.get(forger.path, headers={"Authorization": f"Bearer {sign(forger)}"})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
async def test_alg_none_in_any_spelling_is_401(rig: Rig, kind: str, alg: str) -> None:
    forger = getattr(rig, kind)
    token = unsigned({"alg": alg, "typ": forger.typ, "kid": forger.kid}, forger.claims)
    for signature in ("", "AAAA"):
        await refused(rig, forger, f"{token}.{signature}")


@pytest.mark.parametrize("kind", KINDS)
async def test_hs256_signed_with_the_public_key_is_401(rig: Rig, kind: str) -> None:
    """Key confusion: the published public key (PEM, or its JWK JSON) used as an HMAC secret."""
    forger = getattr(rig, kind)
    public = forger.key.public_key()
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    for secret in (pem, json.dumps(public_jwk(public, forger.kid, forger.alg)).encode()):
        signing_input = unsigned({"alg": "HS256", "typ": forger.typ, "kid": forger.kid}, forger.claims)
        signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        await refused(rig, forger, f"{signing_input}.{b64(signature)}")


async def test_a_token_in_another_algorithm_than_its_kid_is_401(rig: Rig) -> None:
    # the provider's own RSA key (whose kid is rsa-1), signing under the EC kid ec-1
    await refused(rig, rig.mobile, sign(rig.mobile, key=rig.hub.idp.private["rsa-1"], alg="RS256"))
    await refused(rig, rig.partner, sign(rig.partner, key=rsa.generate_private_key(65537, 2048), alg="RS256"))
    await refused(rig, rig.mobile, sign(rig.mobile, key=ec.generate_private_key(ec.SECP384R1()), alg="ES384"))


@pytest.mark.parametrize("kind", KINDS)
async def test_a_known_kid_with_another_partys_key_is_401(rig: Rig, kind: str) -> None:
    forger = getattr(rig, kind)
    await refused(rig, forger, sign(forger, key=ec.generate_private_key(ec.SECP256R1()), alg="ES256"))


async def test_a_flood_of_unknown_kids_refetches_the_jwks_at_most_once(rig: Rig) -> None:
    assert (await rig.hub.http.get(MOBILE, headers={"Authorization": f"Bearer {sign(rig.mobile)}"})).status_code == 200
    fetched = rig.jwks.fetches
    rogue = ec.generate_private_key(ec.SECP256R1())
    for _ in range(40):  # under the source's failure budget (60 a minute): every one is checked
        forger = rig.mobile._replace(kid=f"kid-{secrets.token_hex(4)}", key=rogue)
        await refused(rig, forger, sign(forger))
    assert rig.jwks.fetches - fetched <= 1


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("header", [
    {"jku": "http://127.0.0.1:9/jwks.json"}, {"x5u": "http://127.0.0.1:9/cert.pem"}, "jwk", {"x5c": ["AAAA"]},
], ids=["jku", "x5u", "jwk", "x5c"])
async def test_key_carrying_headers_are_ignored(rig: Rig, kind: str, header: Any) -> None:
    """A token signed by the attacker, pointing at (or embedding) the attacker's key."""
    forger = getattr(rig, kind)
    attacker = ec.generate_private_key(ec.SECP256R1())
    if header == "jwk":
        header = {"jwk": public_jwk(attacker.public_key(), forger.kid, "ES256")}
    await refused(rig, forger, sign(forger, key=attacker, alg="ES256", headers=header))
    await refused(rig, forger, sign(forger._replace(kid="attacker"), key=attacker, alg="ES256", headers=header))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("claims", [
    {"exp": -61, "iat": -400, "nbf": -400}, {"nbf": 120, "iat": 120}, {"exp": None}, {"iss": "https://evil.example/"},
    {"iss": "ISSUER-PREFIX"}, {"iss": None}, {"aud": "someone-else"}, {"aud": ["someone-else"]}, {"aud": None},
    {"sub": None},
], ids=["expired", "nbf-future", "no-exp", "other-issuer", "issuer-prefix", "no-issuer", "other-audience",
        "audience-list", "no-audience", "no-sub"])
async def test_stale_or_misaddressed_tokens_are_401(rig: Rig, kind: str, claims: dict) -> None:
    forger = getattr(rig, kind)
    now = int(time.time())
    claims = {k: now + v if k in ("exp", "iat", "nbf") and v is not None else v for k, v in claims.items()}
    if claims.get("iss") == "ISSUER-PREFIX":  # the issuer with something appended (CVE-2024-53861 class)
        claims["iss"] = forger.claims["iss"] + "x"
    await refused(rig, forger, sign(forger, **claims))


async def test_tokens_swap_their_issuers_in_vain(rig: Rig) -> None:
    """A provider token claiming the hub's issuer, a hub-key token claiming the provider's."""
    await refused(rig, rig.partner, sign(rig.mobile, iss="commerce-hub", aud="commerce-hub", typ=None))
    await refused(rig, rig.mobile, sign(rig.partner, iss=ISSUER, aud=AUDIENCE))


@pytest.mark.parametrize("kind", KINDS)
async def test_an_oversized_token_is_401_at_once(rig: Rig, kind: str) -> None:
    forger = getattr(rig, kind)
    token = sign(forger, padding="x" * 200_000)
    started = time.perf_counter()
    await refused(rig, forger, token)
    assert time.perf_counter() - started < 0.5


async def test_an_identity_provider_token_never_holds_admin_or_customers_any(rig: Rig) -> None:
    """Scope escalation: the provider may write any scope into its token; the hub grants an
    end user at most the end-user scopes, and only on the mobile channel."""
    token = {"Authorization": "Bearer " + sign(rig.mobile, scope="catalog:read admin customers:any")}
    assert (await rig.hub.http.get(MOBILE, headers=token)).status_code == 200
    for path in ("/admin/v1/plans", "/v1/storefront/products/SKU-1001", PARTNER):
        assert_problem(await rig.hub.http.get(path, headers=token), 401, "unauthorized")
    bolt = await rig.hub.http.get(MOBILE, headers={"Authorization": "Bearer " + sign(
        rig.mobile, scope="catalog:read customers:any", customer_id="CUST-BOLT")})
    assert bolt.json()["price"] == "129.00"  # BOLT's own price, not ACME's contract one


async def test_a_hub_token_holds_no_scope_beyond_its_keys(rig: Rig) -> None:
    key = await create_key(rig.hub, "catalog:read", customer="CUST-ACME", plan="partner")
    asked = await rig.hub.http.post("/oauth/token", data={
        "grant_type": "client_credentials", "client_id": key["id"], "client_secret": key["key"],
        "scope": "catalog:read admin"})
    assert asked.status_code == 400 and asked.json()["error"] == "invalid_scope"
    # a token signed with the hub's own key, claiming scopes its key never had
    forged = sign(rig.partner, sub=key["id"], client_id=key["id"], scope="catalog:read orders:write admin")
    order = await rig.hub.http.post("/v1/partner/orders", json={}, headers={
        "Authorization": f"Bearer {forged}", "Idempotency-Key": "attack-1"})
    assert_problem(order, 403, "insufficient_scope")
    assert_problem(await rig.hub.http.get("/admin/v1/plans", headers={"Authorization": f"Bearer {forged}"}), 401,
                   "unauthorized")
