"""The key lifecycle (gateway/keys/service.py) on a real database with an injected clock."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.keys.schemas import KeyCreate
from gateway.keys.service import KeyService
from shared.db.tables import api_keys
from shared.errors import NotFound, Unauthorized, ValidationFailed
from tests.gateway.keys.conftest import Clock
from tests.gateway.support import eventually


def spec(*scopes: str, **fields: object) -> KeyCreate:
    return KeyCreate(consumer=fields.pop("consumer", "web-shop"), scopes=list(scopes or ["catalog:read"]), **fields)


async def works(keys: KeyService, secret: str) -> bool:
    try:
        await keys.authenticate(secret)
    except Unauthorized:
        return False
    return True


async def test_a_created_key_authenticates_as_its_principal(keys: KeyService) -> None:
    created = await keys.create(spec("orders:write", "catalog:read", "catalog:read", customer="CUST-ACME"))
    principal = await keys.authenticate(created.key)
    assert (principal.consumer, principal.plan, principal.customer_id, principal.key_id) == (
        "web-shop", "standard", "CUST-ACME", created.id)
    assert principal.scopes == frozenset({"catalog:read", "orders:write"})
    assert created.scopes == ["catalog:read", "orders:write"] and created.status == "active"


async def test_an_unknown_plan_is_a_validation_error_naming_plan(keys: KeyService) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await keys.create(spec(plan="gold"))
    assert caught.value.errors == [{"field": "plan", "message": "unknown plan 'gold'"}]


@pytest.mark.parametrize("secret", ["", "chub_nothing", "not-a-key-of-this-hub-0123456789"])
async def test_an_unknown_secret_is_401(keys: KeyService, secret: str) -> None:
    with pytest.raises(Unauthorized):
        await keys.authenticate(secret)


async def test_no_column_of_the_table_holds_the_secret(keys: KeyService, engine: AsyncEngine) -> None:
    created = await keys.create(spec())
    rotated = await keys.rotate(created.id)
    async with engine.connect() as conn:
        rows = (await conn.execute(select(api_keys))).mappings().all()
    stored = " ".join(str(value) for row in rows for value in row.values())
    assert created.id in stored
    for secret in (created.key, rotated.key, created.key[5:], rotated.key[5:]):
        assert secret not in stored


async def test_a_key_expires_at_its_time(keys: KeyService, clock: Clock) -> None:
    created = await keys.create(spec(expires_in_seconds=60))
    clock.advance(59)
    assert await works(keys, created.key)
    clock.advance(1)
    assert not await works(keys, created.key)
    assert (await keys.get(created.id)).status == "expired"


async def test_a_revoked_key_stops_at_once_on_the_same_instance(keys: KeyService) -> None:
    created = await keys.create(spec())
    assert await works(keys, created.key)  # now cached
    view = await keys.revoke(created.id)
    assert view.status == "revoked" and view.revoked_at is not None
    assert not await works(keys, created.key)


async def test_a_rotated_key_keeps_the_old_secret_for_the_grace_period(keys: KeyService, clock: Clock) -> None:
    created = await keys.create(spec())
    assert await works(keys, created.key)
    rotated = await keys.rotate(created.id, grace_seconds=3600)
    assert rotated.id == created.id and rotated.key != created.key
    clock.advance(3599)
    assert await works(keys, created.key) and await works(keys, rotated.key)
    clock.advance(1)
    assert not await works(keys, created.key)
    assert await works(keys, rotated.key)


async def test_a_rotation_without_grace_ends_the_old_secret_at_once(keys: KeyService) -> None:
    created = await keys.create(spec())
    rotated = await keys.rotate(created.id, grace_seconds=0)
    assert not await works(keys, created.key) and await works(keys, rotated.key)


async def test_a_second_rotation_ends_the_first_secret(keys: KeyService) -> None:
    created = await keys.create(spec())
    second = await keys.rotate(created.id)
    third = await keys.rotate(created.id)
    assert [await works(keys, s) for s in (created.key, second.key, third.key)] == [False, True, True]


async def test_revoking_a_rotated_key_ends_both_secrets(keys: KeyService) -> None:
    created = await keys.create(spec())
    rotated = await keys.rotate(created.id)
    await keys.revoke(created.id)
    assert not await works(keys, created.key) and not await works(keys, rotated.key)


@pytest.mark.parametrize("action", ["get", "revoke", "rotate"])
async def test_an_unknown_key_is_not_found(keys: KeyService, action: str) -> None:
    with pytest.raises(NotFound):
        await getattr(keys, action)("key_0000000000000000")


async def test_a_revoked_key_cannot_be_rotated_back_to_life(keys: KeyService) -> None:
    created = await keys.create(spec())
    await keys.revoke(created.id)
    with pytest.raises(NotFound):
        await keys.rotate(created.id)


async def test_a_revocation_through_another_instance_is_seen_within_one_second(
    new_service: Callable[..., KeyService],
) -> None:
    gateway_a, gateway_b = new_service(), new_service()
    created = await gateway_a.create(spec())
    assert await works(gateway_b, created.key)  # B now holds the key in its cache
    await gateway_a.revoke(created.id)

    async def refused_by_b() -> bool:
        return not await works(gateway_b, created.key)

    assert await eventually(refused_by_b, timeout=1.5) <= 1.1


async def test_the_listing_shows_every_key_without_secrets(keys: KeyService) -> None:
    first, second = await keys.create(spec(consumer="a")), await keys.create(spec(consumer="b"))
    listing = await keys.list()
    assert {v.id for v in listing} >= {first.id, second.id}
    assert all(not hasattr(v, "key") for v in listing)
