"""Hub-signed tokens and the signing keys behind them (hub_tokens.py, signing_keys.py)."""

from __future__ import annotations

import asyncio
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.keys.repository import KeyRepository
from gateway.keys.service import KeyService
from gateway.tokens.hub_tokens import HubTokens
from gateway.tokens.signing_keys import SigningKeyRepository, SigningKeys
from shared.db.tables import signing_keys
from shared.errors import Unauthorized
from shared.settings import DEFAULT_PLANS
from tests.gateway.support import eventually
from tests.gateway.tokens.conftest import WallClock, new_key


async def _issue(hub_tokens: HubTokens, keys: KeyService, *scopes: str, granted: frozenset[str] | None = None) -> tuple[str, str]:
    created = await new_key(keys, *scopes)
    principal = await keys.authenticate(created.key)
    issued = await hub_tokens.issue(principal, granted if granted is not None else principal.scopes)
    return created.id, issued.access_token


async def test_an_issued_token_verifies_to_the_keys_principal(hub_tokens: HubTokens, keys: KeyService) -> None:
    key_id, token = await _issue(hub_tokens, keys, "catalog:read", "orders:write", granted=frozenset({"catalog:read"}))
    principal = await hub_tokens.verify(token)
    assert (principal.kind, principal.key_id, principal.consumer, principal.plan, principal.customer_id) == (
        "oauth", key_id, "partner-x", "partner", "CUST-ACME")
    assert principal.scopes == {"catalog:read"}
    header, claims = jwt.get_unverified_header(token), jwt.decode(token, options={"verify_signature": False})
    assert header["alg"] == "ES256" and header["typ"] == "at+jwt" and header["kid"]
    assert claims["iss"] == claims["aud"] == "commerce-hub" and claims["sub"] == claims["client_id"] == key_id
    assert claims["exp"] - claims["iat"] == 900 and claims["jti"]


async def test_a_revoked_keys_token_is_refused_within_a_second(engine: AsyncEngine, hub_tokens: HubTokens, keys: KeyService) -> None:
    key_id, token = await _issue(hub_tokens, keys, "catalog:read")
    await hub_tokens.verify(token)
    elsewhere = KeyService(KeyRepository(engine), lambda: set(DEFAULT_PLANS), "standard")  # another instance
    await elsewhere.revoke(key_id)

    async def refused() -> bool:
        try:
            await hub_tokens.verify(token)
        except Unauthorized:
            return True
        return False

    assert await eventually(refused, timeout=1.5) <= 1.2


async def test_scopes_the_key_lost_are_dropped_from_its_tokens(hub_tokens: HubTokens, keys: KeyService) -> None:
    _, token = await _issue(hub_tokens, keys, "catalog:read")
    forged_scope = jwt.decode(token, options={"verify_signature": False})["scope"]
    assert forged_scope == "catalog:read" and (await hub_tokens.verify(token)).scopes == {"catalog:read"}


async def test_tampered_and_foreign_tokens_are_refused(hub_tokens: HubTokens, keys: KeyService, signing: SigningKeys) -> None:
    key_id, token = await _issue(hub_tokens, keys, "catalog:read")
    kid = jwt.get_unverified_header(token)["kid"]
    now = int(time.time())
    claims = {"iss": "commerce-hub", "aud": "commerce-hub", "sub": key_id, "scope": "admin", "iat": now,
              "exp": now + 60, "jti": "x"}
    stranger = ec.generate_private_key(ec.SECP256R1())
    head, body, sig = token.split(".")
    for bad in (
        jwt.encode(claims, stranger, algorithm="ES256", headers={"kid": kid, "typ": "at+jwt"}),
        jwt.encode(claims, (await signing.signer())[2], algorithm="ES256", headers={"kid": kid}),  # no typ
        jwt.encode({**claims, "aud": "other"}, (await signing.signer())[2], algorithm="ES256",
                   headers={"kid": kid, "typ": "at+jwt"}),
        f"{head}.{jwt.utils.base64url_encode(jwt.utils.force_bytes('{}')).decode()}.{sig}",
    ):
        with pytest.raises(Unauthorized):
            await hub_tokens.verify(bad)


async def test_a_token_signed_before_rotation_still_verifies_and_both_keys_are_published(
        hub_tokens: HubTokens, keys: KeyService, signing: SigningKeys) -> None:
    _, before = await _issue(hub_tokens, keys, "catalog:read")
    old_kid = jwt.get_unverified_header(before)["kid"]
    new_kid = await signing.rotate()
    _, after = await _issue(hub_tokens, keys, "catalog:read")
    assert new_kid != old_kid and jwt.get_unverified_header(after)["kid"] == new_kid
    assert await hub_tokens.verify(before) and await hub_tokens.verify(after)
    assert [k["kid"] for k in (await signing.jwks())["keys"]] == [new_kid, old_kid]


async def test_after_its_retirement_window_the_old_key_is_gone(
        hub_tokens: HubTokens, keys: KeyService, signing: SigningKeys, clock: WallClock) -> None:
    _, before = await _issue(hub_tokens, keys, "catalog:read")
    old_kid = jwt.get_unverified_header(before)["kid"]
    await signing.rotate()
    clock.advance(signing.grace.total_seconds() - 1)
    assert old_kid in {k["kid"] for k in (await signing.jwks())["keys"]}
    clock.advance(2)
    assert old_kid not in {k["kid"] for k in (await signing.jwks())["keys"]}
    with pytest.raises(Unauthorized):
        await hub_tokens.verify(before)


async def test_instances_starting_together_make_one_active_key(engine: AsyncEngine, clock: WallClock) -> None:
    instances = [SigningKeys(SigningKeyRepository(engine), now=clock) for _ in range(5)]
    await asyncio.gather(*(s.ensure() for s in instances))
    kids = {(await s.signer())[0] for s in instances}
    async with engine.connect() as conn:
        count = (await conn.execute(select(func.count()).select_from(signing_keys))).scalar_one()
    assert len(kids) == 1 and count == 1


async def test_a_rotation_elsewhere_is_picked_up_on_the_unknown_kid(engine: AsyncEngine, keys: KeyService, clock: WallClock) -> None:
    here, there = (SigningKeys(SigningKeyRepository(engine), now=clock) for _ in range(2))
    await here.ensure()
    await here.jwks()  # cache the key set here
    await there.rotate()
    _, token = await _issue(HubTokens(there, keys, now=clock), keys, "catalog:read")
    assert await HubTokens(here, keys, now=clock).verify(token)


async def test_private_keys_stay_out_of_the_jwks_and_reprs(engine: AsyncEngine, signing: SigningKeys) -> None:
    await signing.ensure()
    published = (await signing.jwks())["keys"]
    assert published and all(set(k) == {"kty", "crv", "x", "y", "kid", "alg", "use"} for k in published)
    rows = await SigningKeyRepository(engine).live(signing._now())  # noqa: SLF001 - the test's clock
    assert rows and "PRIVATE" not in repr(rows) and "PRIVATE KEY" in rows[0].private_pem
