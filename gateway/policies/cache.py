"""The response cache: customer-safe, event-invalidated, stale-if-error.

Which answers: GETs under a cacheable route (the product GETs), for a
principal that holds the route's scope and may act for the customer it names.
The key is the path plus the normalised query with ``customer_id`` replaced by
the customer the request *acts for* (CONTRACT §2): one customer's contract
price can never be served to another consumer or to a guest. Quantity is
keyed exactly (finer than the price break, and the answer echoes it).

Freshness: ``ttl`` seconds, ended early by ``invalidate(sku)``, which the
catalog events call (stock or price changed in a backend) on every instance,
so a change shows within the event's delivery time whatever the TTL.
An invalidated or expired entry is kept ``stale`` seconds more, served as
``X-Cache: STALE`` only when the fresh fetch fails with a 5xx.
``purge(sku)`` drops entries outright (the admin purge). An entry past its stale
window can never be served again and leaves memory at the next sweep (at most every
``SWEEP_SECONDS``, on a store), not when the entry bound finally pushes it out.

N concurrent misses for one key make one upstream fetch (coalescing).
Storage is a ``CacheStore``: ``MemoryStore`` (embedded default) or
``RedisStore`` (entries shared by all instances, with a local copy that the
bus keeps honest).
"""

from __future__ import annotations

import hashlib
import time
from itertools import takewhile
from typing import Awaitable, Callable, Protocol, Sequence
from urllib.parse import parse_qsl, urlencode

import msgspec

from shared.errors import Forbidden
from shared.identity import Principal
from shared.singleflight import SingleFlight

DEFAULTS = {"quantity": "1", "currency": "USD"}
CACHE_HEADERS = ((b"cache-control", b"private, no-cache"), (b"vary", b"X-API-Key, Authorization"))
"""On every cached answer: clients may keep it but must revalidate (a price change is never
hidden by a browser cache), and it differs by credential."""
_DEFAULT_QUERY = urlencode(sorted(DEFAULTS.items()))
SWEEP_SECONDS = 5.0
"""How often, at most, a store drops the entries past their stale window."""


class Entry(msgspec.Struct, array_like=True, dict=True):
    body: bytes
    content_type: bytes
    etag: bytes
    sku: str
    fresh_until: float
    stale_until: float
    headers: list[tuple[bytes, bytes]] = []
    """Headers of the answer that belong to it, not to one request (Deprecation, Sunset, Link)."""

    def answer_headers(self, label: bytes) -> tuple[list[tuple[bytes, bytes]], list[tuple[bytes, bytes]]]:
        """The headers of this entry's 200 and 304 answers labelled `label` (``X-Cache``),
        built once per entry and label in this process (never stored: ``dict=True`` keeps
        them off the wire); a request adds only its own (request id, RateLimit, CORS)."""
        built = self.__dict__.get("_built")
        if built is None:
            built = self.__dict__["_built"] = {}
        pair = built.get(label)
        if pair is None:
            common = [(b"etag", self.etag), (b"x-cache", label), *CACHE_HEADERS, *self.headers]
            whole = [*common, (b"content-type", self.content_type), (b"content-length", b"%d" % len(self.body))]
            pair = built[label] = (whole, common)
        return pair


    def wire(self, label: bytes) -> bytes:
        """The fields of ``answer_headers(label)``'s 200 as they go on the wire (the hit lane,
        ``gateway.lane``), built once per entry and label in this process."""
        built = self.__dict__.get("_wire")
        if built is None:
            built = self.__dict__["_wire"] = {}
        wire = built.get(label)
        if wire is None:
            wire = built[label] = b"".join(b"%s: %s\r\n" % pair for pair in self.answer_headers(label)[0])
        return wire


class CacheStore(Protocol):
    epoch: int
    """Bumped by every invalidation. A fetch notes it before it starts; what it brings back is
    fresh only if its SKU was not invalidated since (``changed_since``)."""

    def changed_since(self, sku: str, epoch: int) -> bool:
        """Whether `sku` (or every SKU) was invalidated after the epoch `epoch` was read."""

    async def get(self, key: str) -> Entry | None: ...

    def get_local(self, key: str) -> Entry | None: ...

    async def put(self, key: str, entry: Entry) -> None: ...

    async def invalidate(self, sku: str | None, *, drop: bool) -> None: ...

    async def invalidate_many(self, skus: Sequence[str]) -> None:
        """``invalidate(sku, drop=False)`` for each of ``skus``, in one go."""


class MemoryStore:
    """Entries in this process, indexed by SKU; oldest dropped beyond `max_entries`, and those
    past their stale window swept out on a store, oldest first (an entry lives ttl + stale from
    the put that placed it last in the dict; one read from Redis may have less, and is dropped
    once the entries before it are).

    Each invalidation bumps ``epoch`` and records it against its SKU, so a fetch that an
    invalidation of *another* SKU overtakes is still kept fresh. The record is bounded: past
    `max_entries` SKUs it is cleared and counts as an invalidation of every SKU (safe: it only
    makes fetches under way keep their answers as stale)."""

    def __init__(self, max_entries: int = 50_000, clock: Callable[[], float] = time.time) -> None:
        self._entries: dict[str, Entry] = {}
        self._by_sku: dict[str, set[str]] = {}
        self._max = max_entries
        self._clock = clock
        self._next_sweep = 0.0
        self.epoch = 0
        self._changed: dict[str, int] = {}
        """SKU -> the epoch of its last invalidation."""
        self._all_changed = 0
        """The epoch of the last invalidation of every SKU (or of clearing ``_changed``)."""

    def changed_since(self, sku: str, epoch: int) -> bool:
        return self._all_changed > epoch or self._changed.get(sku, 0) > epoch

    def _bump(self, skus: Sequence[str] | None) -> None:
        self.epoch += 1
        if skus is None or len(self._changed) + len(skus) > self._max:
            self._changed.clear()
            self._all_changed = self.epoch
            return
        for sku in skus:
            self._changed[sku] = self.epoch

    def get_local(self, key: str) -> Entry | None:
        return self._entries.get(key)

    async def get(self, key: str) -> Entry | None:
        return self._entries.get(key)

    async def put(self, key: str, entry: Entry) -> None:
        self._sweep()
        if len(self._entries) >= self._max and key not in self._entries:
            oldest = next(iter(self._entries))
            self._forget(oldest)
        self._entries.pop(key, None)
        self._entries[key] = entry
        self._by_sku.setdefault(entry.sku, set()).add(key)

    def _sweep(self) -> None:
        now = self._clock()
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_SECONDS
        for key in list(takewhile(lambda k: self._entries[k].stale_until <= now, self._entries)):
            self._forget(key)

    def _forget(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None and (keys := self._by_sku.get(entry.sku)) is not None:
            keys.discard(key)
            if not keys:
                del self._by_sku[entry.sku]

    async def invalidate(self, sku: str | None, *, drop: bool) -> None:
        self._bump(None if sku is None else (sku,))
        keys = list(self._entries) if sku is None else list(self._by_sku.get(sku, ()))
        self._end(keys, drop)

    async def invalidate_many(self, skus: Sequence[str]) -> None:
        self._bump(skus)
        self._end([key for sku in skus for key in self._by_sku.get(sku, ())], drop=False)

    def _end(self, keys: list[str], drop: bool) -> None:
        now = self._clock()
        for key in keys:
            if drop:
                self._forget(key)
            elif key in self._entries:
                self._entries[key].fresh_until = now


class ResponseCache:
    def __init__(self, store: CacheStore, *, ttl: float, stale: float, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.ttl = ttl
        self.stale = stale
        self._clock = clock
        self._inflight: SingleFlight[object] = SingleFlight()

    def key_for(self, scope: dict, principal: Principal, required_scope: str) -> str | None:
        """The cache key, or None when this request must go to the app as it is."""
        if scope["method"] != "GET" or required_scope not in principal.scopes:
            return None
        query = scope.get("query_string", b"")
        if not query:  # the common case, without parsing
            return f"{scope['path']}?{_DEFAULT_QUERY}#{principal.customer_id or '-'}"
        pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
        params = dict(pairs)
        if len(params) != len(pairs):
            return None  # repeated parameters: let the app judge them
        try:
            customer = principal.acting_customer(params.pop("customer_id", None) or None)
        except Forbidden:
            return None
        for name, default in DEFAULTS.items():
            params.setdefault(name, default)
        return f"{scope['path']}?{urlencode(sorted(params.items()))}#{customer or '-'}"

    def entry(self, key: str) -> Entry | None:
        return self.store.get_local(key)

    def fresh_local(self, key: str) -> Entry | None:
        """The hot path: a fresh entry of this process's copy, without awaiting anything."""
        entry = self.store.get_local(key)
        if entry is not None and entry.fresh_until > self._clock():
            return entry
        return None

    def is_fresh(self, entry: Entry) -> bool:
        return entry.fresh_until > self._clock()

    def can_serve_stale(self, entry: Entry | None) -> bool:
        return entry is not None and entry.stale_until > self._clock()

    async def lookup(self, key: str) -> Entry | None:
        return await self.store.get(key)

    def make_entry(self, body: bytes, content_type: bytes, sku: str,
                   headers: list[tuple[bytes, bytes]] | None = None) -> Entry:
        now = self._clock()
        etag = b'"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode() + b'"'
        return Entry(body=body, content_type=content_type, etag=etag, sku=sku,
                     fresh_until=now + self.ttl, stale_until=now + self.ttl + self.stale, headers=headers or [])

    def epoch(self) -> int:
        return self.store.epoch

    async def store_entry(self, key: str, entry: Entry, epoch: int) -> None:
        """Store a fetched answer; if its SKU was invalidated during the fetch, the answer may
        predate the change, so it is kept only as stale (for stale-if-error)."""
        if self.store.changed_since(entry.sku, epoch):
            entry.fresh_until = self._clock()
        await self.store.put(key, entry)

    async def invalidate(self, sku: str | None) -> None:
        await self.store.invalidate(sku, drop=False)

    async def invalidate_many(self, skus: Sequence[str]) -> None:
        """``invalidate`` for many SKUs (a batch of stock reports): one round trip, not one per SKU."""
        await self.store.invalidate_many(skus)

    async def purge(self, sku: str | None) -> None:
        await self.store.invalidate(sku, drop=True)

    async def coalesce(self, key: str, fetch: Callable[[], Awaitable[object]]) -> tuple[object, bool]:
        """Run `fetch` once for all concurrent callers of `key`; returns (result, was_leader)."""
        return await self._inflight.run(key, fetch)
