"""Identity-provider JWTs (gateway/tokens/idp.py): what is accepted, and every way to be refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from gateway.tokens.idp import IdpVerifier, cache_ttl
from gateway.tokens.keycache import KeyCache
from shared.errors import Unauthorized
from tests.gateway.tokens.conftest import AUDIENCE, ISSUER, FakeIdp


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forged(header: dict, claims: dict, secret: bytes | None) -> str:
    """A token built by hand: `alg: none` (no secret) or an HMAC with `secret`."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest() if secret else b""
    return f"{signing_input}.{_b64(mac)}"


def claims(**extra: object) -> dict:
    now = int(time.time())
    return {"iss": ISSUER, "aud": AUDIENCE, "sub": "user-42", "scope": "admin", "nbf": now, "exp": now + 300, **extra}


async def refused(verifier: IdpVerifier, token: str) -> str:
    with pytest.raises(Unauthorized) as caught:
        await verifier(token)
    return caught.value.detail


@pytest.mark.parametrize("kid", ["rsa-1", "ec-1"])
async def test_rs256_and_es256_tokens_give_the_callers_principal(idp: FakeIdp, idp_verifier: IdpVerifier, kid: str) -> None:
    principal = await idp_verifier(idp.token(kid, scope="catalog:read orders:read bogus:scope", customer_id="CUST-ACME"))
    assert (principal.kind, principal.consumer, principal.customer_id, principal.plan, principal.key_id) == (
        "jwt", "idp:user-42", "CUST-ACME", "standard", None)
    assert principal.scopes == {"catalog:read", "orders:read"}


async def test_without_customer_claim_the_customer_is_the_subject(idp: FakeIdp, idp_verifier: IdpVerifier) -> None:
    principal = await idp_verifier(idp.token(scope=None))
    assert principal.customer_id == "user-42" and principal.scopes == frozenset()


async def test_an_end_user_token_never_carries_admin_or_all_customers(idp: FakeIdp, idp_verifier: IdpVerifier) -> None:
    principal = await idp_verifier(idp.token(scope="admin customers:any orders:write"))
    assert principal.scopes == {"orders:write"}


async def test_alg_none_and_hs256_with_the_public_key_are_refused_before_any_fetch(idp: FakeIdp, idp_verifier: IdpVerifier) -> None:
    pem = idp.private["rsa-1"].public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    tokens = [
        forged({"alg": "none", "kid": "rsa-1", "typ": "JWT"}, claims(), None),
        forged({"alg": "HS256", "kid": "rsa-1", "typ": "JWT"}, claims(), pem),
        forged({"alg": "HS256", "kid": "rsa-1", "typ": "JWT"}, claims(), pem.strip()),
    ]
    details = {await refused(idp_verifier, token) for token in tokens}
    assert details == {"The bearer token is not valid."} and idp.fetches == 0


@pytest.mark.parametrize("alg", ["RS384", "RS512", "PS256"])
async def test_other_rsa_algorithms_are_not_allowed(idp: FakeIdp, idp_verifier: IdpVerifier, alg: str) -> None:
    await refused(idp_verifier, idp.token("rsa-1", alg=alg))
    assert idp.fetches == 0


async def test_es384_and_a_key_used_in_the_other_family_are_refused(idp: FakeIdp, idp_verifier: IdpVerifier) -> None:
    await refused(idp_verifier, idp.token("ec-1", alg="ES384", key=ec.generate_private_key(ec.SECP384R1())))
    await refused(idp_verifier, idp.token("ec-1", alg="RS256", key=idp.private["rsa-1"]))  # kid is an EC key


async def test_a_token_signed_by_another_key_under_a_known_kid_is_refused(idp: FakeIdp, idp_verifier: IdpVerifier) -> None:
    await idp_verifier(idp.token())
    await refused(idp_verifier, idp.token("rsa-1", key=rsa.generate_private_key(65537, 2048)))
    assert idp.fetches == 1  # a known kid never triggers a refetch


@pytest.mark.parametrize("change", [
    {"iss": "https://evil.example/"}, {"iss": "https://idp.example"},
    {"aud": "someone-else"}, {"aud": None}, {"exp": None}, {"nbf": None},
    {"sub": None}, {"exp": -45}, {"nbf": 120},
], ids=["iss", "iss-substring", "aud", "no-aud", "no-exp", "no-nbf", "no-sub", "expired-beyond-leeway", "nbf-in-future"])
async def test_claims_that_do_not_hold_are_refused(idp: FakeIdp, idp_verifier: IdpVerifier, change: dict) -> None:
    now = int(time.time())
    change = {k: (now + v if k in ("exp", "nbf") and v is not None else v) for k, v in change.items()}
    await refused(idp_verifier, idp.token(**change))


async def test_expiry_within_the_leeway_is_accepted(idp: FakeIdp, idp_verifier: IdpVerifier) -> None:
    now = int(time.time())
    assert (await idp_verifier(idp.token(exp=now - 20, iat=now - 320))).consumer == "idp:user-42"


async def test_audience_may_be_a_list(idp: FakeIdp, idp_verifier: IdpVerifier) -> None:
    assert await idp_verifier(idp.token(aud=["other", AUDIENCE]))


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "....", "eyJhbGciOiJSUzI1NiJ9.e30.", "x" * 20000])
async def test_garbage_is_refused(idp_verifier: IdpVerifier, garbage: str) -> None:
    await refused(idp_verifier, garbage)


def test_leeway_is_at_most_a_minute() -> None:
    cache = KeyCache(lambda: None, min_interval=10, name="unused")  # type: ignore[arg-type, return-value]
    with pytest.raises(ValueError):
        IdpVerifier(cache, issuer=ISSUER, audience=AUDIENCE, leeway=61)


@pytest.mark.parametrize("header,ttl", [
    (None, 300), ("public, max-age=120", 120), ("max-age=5", 60), ("max-age=86400", 3600), ("no-store", 300),
    ('max-age="90"', 90), ("max-age=abc", 300),
])
def test_jwks_cache_life_follows_max_age_within_bounds(header: str | None, ttl: float) -> None:
    assert cache_ttl(header) == ttl


async def test_a_bearer_token_too_large_never_reaches_the_parser(idp_verifier: IdpVerifier) -> None:
    token = jwt.encode({"pad": "x" * 9000}, "k" * 32, algorithm="HS256")
    await refused(idp_verifier, token)
