"""The key lifecycle (create, rotate, revoke) and authentication of a presented secret.

Authentication answers from a small local cache of hash -> record that lives
at most ``cache_seconds`` (default 1 s), so a key revoked through any
instance sharing the database stops working everywhere within that time even
with no Redis; a revocation or rotation is also announced on the bus
(``keys.changed``), which makes every instance drop its cache at once.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Awaitable, Callable

from gateway.keys import secrets
from gateway.keys.repository import KeyRepository
from gateway.keys.schemas import KeyCreate, KeyCreated, KeyRecord, KeyView
from shared.errors import NotFound, Unauthorized, ValidationFailed
from shared.identity import Principal
from shared.singleflight import SingleFlight


class KeyService:
    def __init__(
        self,
        repo: KeyRepository,
        plans: Callable[[], set[str]],
        default_plan: str,
        *,
        cache_seconds: float = 1.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        announce: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._repo = repo
        self._plans = plans
        self._default_plan = default_plan
        self._cache_seconds = cache_seconds
        self._now = now
        self._cache: dict[str, tuple[float, Principal | None, datetime | None]] = {}
        self._announce = announce
        self._loading: SingleFlight[tuple] = SingleFlight()
        self._background: dict[str, asyncio.Task] = {}

    def forget(self) -> None:
        """Drop cached look-ups (another instance revoked or rotated a key)."""
        self._cache.clear()

    async def _changed(self) -> None:
        self._cache.clear()
        if self._announce is not None:
            await self._announce()

    async def create(self, spec: KeyCreate) -> KeyCreated:
        plan = spec.plan or self._default_plan
        if plan not in self._plans():
            raise ValidationFailed(errors=[{"field": "plan", "message": f"unknown plan {plan!r}"}])
        now = self._now()
        record = KeyRecord(
            id=secrets.new_key_id(),
            consumer=spec.consumer,
            scopes=tuple(sorted(set(spec.scopes))),
            plan=plan,
            customer_id=spec.customer,
            created_at=now,
            expires_at=now + timedelta(seconds=spec.expires_in_seconds) if spec.expires_in_seconds else None,
        )
        secret = secrets.new_secret()
        await self._repo.add(record, secrets.hash_secret(secret))
        view = KeyView.of(record, now)
        return KeyCreated.of_view(view, secret)

    async def ensure_bootstrap_admin(self, secret: str) -> None:
        """Make sure an active admin key with exactly this secret exists."""
        found = await self._repo.find_by_hash(secrets.hash_secret(secret))
        if found and found[0].is_active(self._now()) and not found[1]:
            return
        now = self._now()
        record = KeyRecord(
            id=secrets.new_key_id(), consumer="bootstrap-admin", scopes=("admin",),
            plan="internal" if "internal" in self._plans() else self._default_plan, created_at=now,
        )
        if found:  # the old holder of this secret is revoked, expired or rotated out: free the hash
            await self._repo.release_secret(found[0].id, secrets.hash_secret(secrets.new_secret()), now)
        await self._repo.add(record, secrets.hash_secret(secret), bootstrap=True)

    async def get(self, key_id: str) -> KeyView:
        record = await self._repo.get(key_id)
        if record is None:
            raise NotFound("No such key.")
        return KeyView.of(record, self._now())

    async def list(self) -> list[KeyView]:
        now = self._now()
        return [KeyView.of(r, now) for r in await self._repo.list()]

    async def revoke(self, key_id: str) -> KeyView:
        await self._repo.revoke(key_id, self._now())
        await self._changed()
        return await self.get(key_id)

    async def rotate(self, key_id: str, grace_seconds: int = 3600) -> KeyCreated:
        secret = secrets.new_secret()
        grace_until = self._now() + timedelta(seconds=grace_seconds)
        if not await self._repo.rotate(key_id, secrets.hash_secret(secret), grace_until):
            raise NotFound("No such active key.")
        await self._changed()
        view = await self.get(key_id)
        return KeyCreated.of_view(view, secret)

    async def principal_for_key_id(self, key_id: str) -> Principal:
        """The principal of an active key named by id (a hub-signed token's subject). Cached
        like `authenticate`, at most ``cache_seconds``: a revoked key's tokens stop within it."""
        async def load() -> tuple[KeyRecord | None, bool]:
            return await self._repo.get(key_id), False

        return await self._resolve(f"id:{key_id}", load)

    async def authenticate(self, secret: str) -> Principal:
        """The principal of an API key secret; anything wrong is the same 401."""
        digest = secrets.hash_secret(secret)
        return await self._resolve(digest, self._loader(digest))

    def known(self, secret: str) -> Principal | None:
        """The hit lane's question (``gateway.lane``): ``authenticate`` without waiting, for a key
        this instance holds as valid (refreshed behind the request past half its cache life, as
        ``authenticate`` does); None for anything else (unknown, refused, expired from the cache),
        which ``authenticate`` then decides."""
        digest = secrets.hash_secret(secret)
        cached = self._cache.get(digest)
        clock = time.monotonic()
        if cached is None or cached[0] <= clock:
            return None
        principal = self._valid(cached)
        if principal is not None and cached[0] - self._cache_seconds / 2 <= clock and digest not in self._background:
            self._refresh_behind(digest, self._loader(digest))
        return principal

    def _loader(self, digest: str) -> Callable[[], Awaitable[tuple[KeyRecord | None, bool]]]:
        async def load() -> tuple[KeyRecord | None, bool]:
            return await self._repo.find_by_hash(digest) or (None, False)

        return load

    async def _resolve(self, slot: str, load: Callable[[], Awaitable[tuple[KeyRecord | None, bool]]]) -> Principal:
        """The hot path: a dict hit and a clock read (plus a wall-clock read for keys that
        expire or secrets in their rotation grace)."""
        cached = self._cache.get(slot)
        clock = time.monotonic()
        if cached is None or cached[0] <= clock:
            cached = await self._refresh(slot, load)
        elif cached[0] - self._cache_seconds / 2 <= clock and slot not in self._background:
            self._refresh_behind(slot, load)
        principal = self._valid(cached)
        if principal is None:
            raise Unauthorized("The API key is not valid.")
        return principal

    def _valid(self, cached: tuple[float, Principal | None, datetime | None]) -> Principal | None:
        """The cached principal, unless the key was refused or its end (expiry, rotation grace) passed."""
        _, principal, ends_at = cached
        if principal is None or (ends_at is not None and ends_at <= self._now()):
            return None
        return principal

    def _refresh_behind(self, slot: str, load: Callable[[], Awaitable[tuple[KeyRecord | None, bool]]]) -> None:
        """Past half its life: refresh behind the request, which keeps the cached answer (a
        revocation still takes effect within cache_seconds)."""
        task = asyncio.get_running_loop().create_task(self._refresh(slot, load))
        self._background[slot] = task
        task.add_done_callback(lambda t, s=slot: (self._background.pop(s, None), t.cancelled() or t.exception()))

    async def _refresh(self, slot: str, load: Callable[[], Awaitable[tuple[KeyRecord | None, bool]]]) -> tuple:
        """One database look-up per slot however many requests find it expired at once
        (single flight): the others wait for it instead of queueing for connections."""
        async def fetch() -> tuple:
            record, previous = await load()
            entry = self._entry(record, previous, time.monotonic())
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[slot] = entry
            return entry

        entry, _ = await self._loading.run(slot, fetch)
        return entry

    def _entry(self, record: KeyRecord | None, previous: bool, clock: float) -> tuple[float, Principal | None, datetime | None]:
        now = self._now()
        ends = [record.expires_at] if record is not None and record.expires_at else []
        if previous and record is not None:
            ends.append(record.previous_expires_at or now)
        if record is None or not record.is_active(now) or any(end <= now for end in ends):
            return clock + self._cache_seconds, None, None
        principal = Principal(consumer=record.consumer, scopes=frozenset(record.scopes), plan=record.plan,
                              key_id=record.id, customer_id=record.customer_id)
        return clock + self._cache_seconds, principal, min(ends) if ends else None
