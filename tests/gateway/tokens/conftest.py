"""Token fixtures: a real database (SQLite per test, or the session's PostgreSQL), a fake
identity provider serving its JWKS through httpx.MockTransport, and clocks tests move."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.keys.repository import KeyRepository
from gateway.keys.schemas import KeyCreate, KeyCreated
from gateway.keys.service import KeyService
from gateway.tokens.hub_tokens import HubTokens
from gateway.tokens.idp import IdpVerifier, jwks_loader
from gateway.tokens.keycache import KeyCache
from gateway.tokens.signing_keys import SigningKeyRepository, SigningKeys
from shared.db.engine import create_engine, dispose
from shared.db.tables import signing_keys
from shared.settings import DEFAULT_PLANS
from tests.idp import AUDIENCE, ISSUER, JWKS_URL, FakeIdp  # noqa: F401 - re-exported for the token tests


class WallClock:
    """Wall-clock time the test moves; starts now (PyJWT checks exp against the real time)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


@pytest.fixture
def idp() -> FakeIdp:
    return FakeIdp()


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
async def idp_http(idp: FakeIdp) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(idp.handler)) as client:
        yield client


@pytest.fixture
def idp_verifier(idp_http: httpx.AsyncClient, ticks: Ticks) -> IdpVerifier:
    cache = KeyCache(jwks_loader(idp_http, JWKS_URL), min_interval=10.0, name="test jwks", clock=ticks)
    return IdpVerifier(cache, issuer=ISSUER, audience=AUDIENCE, plan="standard", leeway=30)


@pytest.fixture(params=["sqlite_url", pytest.param("pg_url", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """A migrated database: SQLite per test, or the session's PostgreSQL."""
    return request.getfixturevalue(request.param)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    async with engine.begin() as conn:  # the PostgreSQL database lives for the session
        await conn.execute(delete(signing_keys))
    yield engine
    await dispose(engine)


@pytest.fixture
def clock() -> WallClock:
    return WallClock()


@pytest.fixture
def keys(engine: AsyncEngine) -> KeyService:
    return KeyService(KeyRepository(engine), lambda: set(DEFAULT_PLANS), "standard")


@pytest.fixture
def signing(engine: AsyncEngine, clock: WallClock) -> SigningKeys:
    return SigningKeys(SigningKeyRepository(engine), max_token_seconds=900, now=clock)


@pytest.fixture
def hub_tokens(signing: SigningKeys, keys: KeyService, clock: WallClock) -> HubTokens:
    return HubTokens(signing, keys, lifetime_seconds=900, now=clock)


async def new_key(keys: KeyService, *scopes: str, customer: str | None = "CUST-ACME") -> KeyCreated:
    return await keys.create(KeyCreate(consumer="partner-x", scopes=list(scopes or ["catalog:read"]),
                                       customer=customer, plan="partner"))
