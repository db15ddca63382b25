"""HUB_BOOTSTRAP_ADMIN_KEY at the service: one active admin key with exactly that secret."""

from __future__ import annotations

import secrets

import pytest

from gateway.keys.service import KeyService


@pytest.fixture
def secret() -> str:
    """Unique per test: the PostgreSQL database is shared by the whole session."""
    return f"bootstrap-{secrets.token_hex(12)}"


async def bootstrap_count(keys: KeyService) -> int:
    return sum(v.consumer == "bootstrap-admin" for v in await keys.list())


async def test_the_bootstrap_key_is_an_admin_key_with_exactly_that_secret(keys: KeyService, secret: str) -> None:
    await keys.ensure_bootstrap_admin(secret)
    principal = await keys.authenticate(secret)
    assert principal.scopes == frozenset({"admin"}) and principal.plan == "internal"


async def test_ensuring_it_again_makes_no_second_key(keys: KeyService, secret: str) -> None:
    await keys.ensure_bootstrap_admin(secret)
    count = await bootstrap_count(keys)
    for _ in range(2):
        await keys.ensure_bootstrap_admin(secret)
    assert await bootstrap_count(keys) == count


async def test_a_revoked_bootstrap_key_is_made_again_on_the_next_start(keys: KeyService, secret: str) -> None:
    """CONTRACT section 0: after start an active admin key with exactly this secret exists."""
    await keys.ensure_bootstrap_admin(secret)
    revoked = (await keys.authenticate(secret)).key_id
    await keys.revoke(revoked)
    await keys.ensure_bootstrap_admin(secret)  # the next start
    principal = await keys.authenticate(secret)
    assert principal.scopes == frozenset({"admin"}) and principal.key_id != revoked
