"""The hub's token signing keys: stored in ``signing_keys``, made on first use, rotated on demand.

One key per algorithm is active (a partial unique index makes that hold across instances:
whoever loses a race to create or rotate re-reads the winner's key). The active key signs;
``rotate()`` retires it at ``now`` and makes a new one. A retired key stays in the JWKS and
keeps verifying for ``grace`` after its retirement: the longest token lifetime, plus the time
a peer instance may still sign with it before its key cache reloads, plus clock skew.
Private keys exist only in the database row and in this process's memory (never in a repr,
a log or the JWKS).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Callable, NamedTuple

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.tokens.jose import VerificationKey, key_from_jwk, public_jwk
from gateway.tokens.keycache import KeyCache, KeySourceError, log
from shared.db.tables import signing_keys
from shared.errors import BackendUnavailable


@dataclass(frozen=True)
class SigningKeyRow:
    kid: str
    algorithm: str
    public_jwk: dict[str, Any]
    created_at: datetime
    retired_at: datetime | None = None
    private_pem: str = field(default="", repr=False)


class HubKey(NamedTuple):
    verification: VerificationKey
    jwk: dict[str, Any]
    private: Any | None
    """The private key object, loaded only for the active key."""


class SigningKeyRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def live(self, retired_after: datetime) -> list[SigningKeyRow]:
        """Active keys and keys retired after `retired_after`, newest first."""
        query = select(signing_keys).where(
            or_(signing_keys.c.retired_at.is_(None), signing_keys.c.retired_at > retired_after)
        ).order_by(signing_keys.c.created_at.desc())
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [SigningKeyRow(row.kid, row.algorithm, dict(row.public_jwk), _utc(row.created_at),
                              _utc(row.retired_at), row.private_pem) for row in rows]

    async def add(self, row: SigningKeyRow, *, retire_active_at: datetime | None = None) -> bool:
        """Insert `row` as the active key (retiring the current one first when asked);
        False when another instance's active key won the race."""
        try:
            async with self._engine.begin() as conn:
                if retire_active_at is not None:
                    await conn.execute(update(signing_keys).where(
                        signing_keys.c.algorithm == row.algorithm, signing_keys.c.retired_at.is_(None),
                    ).values(retired_at=retire_active_at))
                await conn.execute(insert(signing_keys).values(
                    kid=row.kid, algorithm=row.algorithm, private_pem=row.private_pem,
                    public_jwk=row.public_jwk, created_at=row.created_at, retired_at=None,
                ))
        except IntegrityError:
            return False
        return True


class SigningKeys:
    """Signer, verification keys and JWKS over the repository, cached per process."""

    def __init__(self, repo: SigningKeyRepository, *, algorithm: str = "ES256", max_token_seconds: int = 900,
                 reload_seconds: float = 30.0, skew_seconds: float = 60.0,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        if algorithm not in ("ES256", "RS256"):
            raise ValueError("algorithm must be ES256 or RS256")
        self._repo, self._algorithm, self._now = repo, algorithm, now
        self.grace = timedelta(seconds=max_token_seconds + reload_seconds + skew_seconds)
        self._reload_seconds = reload_seconds
        self._cache: KeyCache[HubKey] = KeyCache(self._load, min_interval=1.0, wait=True, name="hub signing keys")

    async def ensure(self) -> None:
        """Make an active key unless one exists (safe when instances start together)."""
        if not any(k.private for k in (await self._fresh()).values()):
            await self._repo.add(_generate(self._algorithm, self._now()))
            self._cache.invalidate()

    async def rotate(self) -> str:
        """Retire the active key now and make a new one; the kid that signs from now on."""
        now = self._now()
        # False means a concurrent rotation won: its new key serves as well as ours would.
        await self._repo.add(_generate(self._algorithm, now), retire_active_at=now)
        self._cache.invalidate()
        return (await self.signer())[0]

    async def signer(self) -> tuple[str, str, Any]:
        """`(kid, alg, private key)` of the active key, made first if there is none."""
        for attempt in range(2):
            for hub_key in (await self._cache.all()).values():
                if hub_key.private is not None:
                    return hub_key.verification.kid, hub_key.verification.alg, hub_key.private
            if attempt == 0:
                try:
                    await self.ensure()
                except SQLAlchemyError as exc:
                    raise BackendUnavailable("Tokens cannot be issued right now.", backend="database") from exc
        raise BackendUnavailable("Tokens cannot be issued right now.", backend="database")

    async def verification_key(self, kid: str) -> VerificationKey | None:
        hub_key = await self._cache.get(kid)
        return hub_key.verification if hub_key else None

    async def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """The published key set: the active key first, then retired keys still in their grace."""
        now = self._now()
        keys = sorted((await self._cache.all()).values(), key=lambda k: k.private is None)
        return {"keys": [k.jwk for k in keys if k.verification.not_after is None or k.verification.not_after > now]}

    async def _fresh(self) -> dict[str, HubKey]:
        self._cache.invalidate()
        return await self._cache.all()

    async def _load(self) -> tuple[dict[str, HubKey], float]:
        try:
            rows = await self._repo.live(self._now() - self.grace)
        except SQLAlchemyError as exc:
            raise KeySourceError(f"signing keys unreadable: {type(exc).__name__}") from exc
        keys = {}
        for row in rows:
            parsed = key_from_jwk(row.public_jwk)
            if parsed is None or parsed.kid != row.kid or parsed.alg != row.algorithm:
                log.warning("stored signing key %r is unusable; skipped", row.kid)
                continue
            private = None if row.retired_at else serialization.load_pem_private_key(row.private_pem.encode(), None)
            not_after = row.retired_at + self.grace if row.retired_at else None
            keys[row.kid] = HubKey(parsed._replace(not_after=not_after), row.public_jwk, private)
        return keys, self._reload_seconds


def _generate(algorithm: str, now: datetime) -> SigningKeyRow:
    private = ec.generate_private_key(ec.SECP256R1()) if algorithm == "ES256" else rsa.generate_private_key(65537, 3072)
    jwk = public_jwk(private.public_key(), "", algorithm)
    kid = _thumbprint(jwk)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return SigningKeyRow(kid, algorithm, {**jwk, "kid": kid}, now, None, pem)


def _thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 JWK thumbprint: the kid, unique per key by construction."""
    members = {k: jwk[k] for k in ("crv", "e", "kty", "n", "x", "y") if k in jwk}
    digest = hashlib.sha256(json.dumps(members, separators=(",", ":"), sort_keys=True).encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; every time we store is UTC.
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value
