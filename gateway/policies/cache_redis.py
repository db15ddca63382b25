"""The response cache shared through Redis, with a local copy for the hot path.

Per key Redis holds the entry (``hub:c:e:<key>``, kept for the stale window)
and a freshness marker (``hub:c:f:<key>``, kept for the TTL); a SKU's keys are
indexed in ``hub:c:sku:<sku>``. Invalidating a SKU deletes its markers (the
entries stay for stale-if-error); purging deletes both. Reads come from the
local copy while the bus is connected (the bus tells every instance to drop
its copy on a change), so a hit costs no Redis round trip. When the bus is
down, a local entry is trusted only for ``near_seconds`` (1 s) after Redis last
confirmed it fresh (or this instance stored it): a hit then costs at most one
round trip per key per second, and a change still shows within that second
plus the event's delivery, inside the contract's 2 s. Redis failing: the
cache degrades to the local copy and to the app; it never fails a request.

Misses that arrive together share their round trips (``GroupCommit``, no timer:
a lone miss goes at once): one MGET reads every waiting key's entry and marker,
one pipeline stores every fetched answer. A Redis round trip from the asyncio
client costs more of the gateway's CPU than the rest of a miss served from the
near records (bench/miss.py: 775 against 399 µs per miss with and without
Redis), so a miss's two round trips are shared rather than paid per request.
"""

from __future__ import annotations

import logging
import time
from typing import Callable, Sequence

import msgspec

from gateway.policies.cache import Entry, MemoryStore
from shared.batching import GroupCommit

log = logging.getLogger("commerce_hub.cache")
_decoder = msgspec.msgpack.Decoder(Entry)
_encoder = msgspec.msgpack.Encoder()
_BATCH = 100
"""Keys per shared MGET, answers per shared pipeline."""
_CONFIRMED = "confirmed_at"
"""Local only (never encoded): when Redis last said this entry was fresh."""


class RedisStore:
    def __init__(self, redis, trust_local: Callable[[], bool], clock: Callable[[], float] = time.time,  # noqa: ANN001
                 near_seconds: float = 1.0) -> None:
        self._redis = redis
        self._local = MemoryStore(clock=clock)
        self._trust_local = trust_local
        self._clock = clock
        self._near = near_seconds
        self._reads: GroupCommit[str, tuple[bytes | None, bytes | None]] = GroupCommit(
            self._read_many, limit=_BATCH, isolated=True)
        self._writes: GroupCommit[tuple[str, Entry, float], None] = GroupCommit(
            self._write_many, limit=_BATCH, isolated=True)

    @property
    def epoch(self) -> int:
        return self._local.epoch

    def changed_since(self, sku: str, epoch: int) -> bool:
        return self._local.changed_since(sku, epoch)

    def get_local(self, key: str) -> Entry | None:
        entry = self._local.get_local(key)
        if entry is None or self._trust_local():
            return entry
        confirmed = entry.__dict__.get(_CONFIRMED)
        return entry if confirmed is not None and confirmed > self._clock() - self._near else None

    async def get(self, key: str) -> Entry | None:
        epoch = self._local.epoch
        try:
            packed, fresh = await self._reads.submit(key)
        except Exception:
            log.warning("cache: Redis read failed; using the local copy", exc_info=True)
            return self._local.get_local(key)
        if packed is None:
            return None
        entry = _decoder.decode(packed)
        overtaken = self._local.changed_since(entry.sku, epoch)
        if fresh is None or overtaken:
            entry.fresh_until = min(entry.fresh_until, self._clock())
        else:
            entry.__dict__[_CONFIRMED] = self._clock()
        if not overtaken:  # read across an invalidation of its SKU: answer it, never keep it
            await self._local.put(key, entry)
        return entry

    async def put(self, key: str, entry: Entry) -> None:
        now = self._clock()
        entry.__dict__[_CONFIRMED] = now
        await self._local.put(key, entry)
        try:
            await self._writes.submit((key, entry, now))
        except Exception:
            log.warning("cache: Redis write failed; kept locally only", exc_info=True)

    async def _read_many(self, keys: list[str]) -> list[tuple[bytes | None, bytes | None]]:
        """Each key's (entry, freshness marker), in one MGET."""
        values = await self._redis.mget(*[name for key in keys for name in (f"hub:c:e:{key}", f"hub:c:f:{key}")])
        return [(values[2 * i], values[2 * i + 1]) for i in range(len(keys))]

    async def _write_many(self, writes: list[tuple[str, Entry, float]]) -> list[None]:
        """Each answer's entry, marker and index membership, in one pipeline (a SKU's index
        kept as long as its longest-lived entry of the batch)."""
        index_ms: dict[str, int] = {}
        async with self._redis.pipeline(transaction=False) as pipe:
            for key, entry, now in writes:
                stale_ms = max(1, int((entry.stale_until - now) * 1000))
                pipe.set(f"hub:c:e:{key}", _encoder.encode(entry), px=stale_ms)
                pipe.set(f"hub:c:f:{key}", b"1", px=max(1, int((entry.fresh_until - now) * 1000)))
                pipe.sadd(f"hub:c:sku:{entry.sku}", key)
                index_ms[entry.sku] = max(index_ms.get(entry.sku, 0), stale_ms)
            for sku, ms in index_ms.items():
                pipe.pexpire(f"hub:c:sku:{sku}", ms)
            await pipe.execute()
        return [None] * len(writes)

    async def invalidate(self, sku: str | None, *, drop: bool) -> None:
        await self._local.invalidate(sku, drop=drop)  # bumps the epoch first
        try:
            if sku is None:
                keys = [k async for k in self._redis.scan_iter(match="hub:c:f:*" if not drop else "hub:c:*")]
            else:
                members = [m.decode() for m in await self._redis.smembers(f"hub:c:sku:{sku}")]
                keys = [f"hub:c:f:{m}" for m in members]
                if drop:
                    keys += [f"hub:c:e:{m}" for m in members] + [f"hub:c:sku:{sku}"]
            if keys:
                await self._redis.delete(*keys)
        except Exception:
            log.warning("cache: Redis invalidation failed for %s", sku or "*", exc_info=True)
        await self._local.invalidate(sku, drop=drop)  # and again: a read may have raced the delete

    async def invalidate_many(self, skus: Sequence[str]) -> None:
        """``invalidate(sku, drop=False)`` for every SKU of a batch: the index sets read in one
        pipeline, the markers deleted in one command (two round trips, not two per SKU)."""
        if not skus:
            return
        await self._local.invalidate_many(skus)  # bumps the epoch first
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for sku in skus:
                    pipe.smembers(f"hub:c:sku:{sku}")
                indexed = await pipe.execute()
            keys = [f"hub:c:f:{m.decode()}" for members in indexed for m in members]
            if keys:
                await self._redis.delete(*keys)
        except Exception:
            log.warning("cache: Redis invalidation failed for %d SKUs", len(skus), exc_info=True)
        await self._local.invalidate_many(skus)  # and again: a read may have raced the delete
