"""The cache policy at the edge: serve a cached answer, or fetch, store and answer.

HIT: a fresh entry (checked in the local copy first, without awaiting: the
edge answers those itself through ``send_entry``, before any span or app).
MISS: fetched from the app once for all concurrent callers of the key, stored
when it is a 200 without ``Cache-Control: no-store``. STALE: the fetch answered 5xx (or failed) and an entry is
still inside its stale window. Every cached answer carries ``ETag``,
``Cache-Control: private, no-cache`` (clients may keep it but must
revalidate, so a price change is never hidden by a browser cache) and
``Vary``; a matching ``If-None-Match`` gets 304. The headers of an entry's
answer are built once per entry (``Entry.answer_headers``); a request only
appends its own.

``CachePolicy`` is the policy of the edge's chain (``gateway.policies.chain``). Fails
open: a shared store (Redis) that cannot be read or written degrades to this instance's
copy and to the app (``cache_redis``); the cache never fails a request.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Callable, Sequence

import msgspec

from gateway.policies.cache import Entry, ResponseCache
from shared.metrics import Registry
from shared.telemetry import hit_span, span_traceparent

if TYPE_CHECKING:
    from gateway.exchange import Exchange
    from shared.identity import Principal
    from gateway.route import Route

_KEPT = {b"deprecation", b"sunset", b"link"}
Headers = Sequence[tuple[bytes, bytes]]


class Captured(msgspec.Struct):
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


async def capture(app: Callable, scope: dict, receive: Callable) -> Captured:
    """Run the app and keep its whole answer (product answers are small)."""
    result = Captured(status=500, headers=[], body=b"")
    chunks: list[bytes] = []

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            result.status = message["status"]
            result.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    result.body = b"".join(chunks)
    return result


def not_modified(entry: Entry, if_none_match: bytes | None) -> bool:
    """RFC 9110 weak comparison of ``If-None-Match`` with the entry's ETag."""
    if if_none_match is None:
        return False
    if if_none_match.strip() == b"*":
        return True
    return any(tag.strip().removeprefix(b"W/") == entry.etag for tag in if_none_match.split(b","))


async def send_entry(send: Callable, entry: Entry, label: bytes, if_none_match: bytes | None,
                     extra: Headers = ()) -> int:
    """Answer with `entry` (200, or 304 for a matching ``If-None-Match``), its prebuilt
    headers plus this request's `extra`; returns the status sent."""
    whole, common = entry.answer_headers(label)
    if if_none_match is not None and not_modified(entry, if_none_match):
        await send({"type": "http.response.start", "status": 304, "headers": [*common, *extra]})
        await send({"type": "http.response.body", "body": b""})
        return 304
    await send({"type": "http.response.start", "status": 200, "headers": [*whole, *extra]})
    await send({"type": "http.response.body", "body": entry.body})
    return 200


def _no_store(headers: Headers) -> bool:
    """The app asked that this answer not be kept (``Cache-Control: no-store``; e.g. a partial
    stock answer, issue 11)."""
    return any(k == b"cache-control" and b"no-store" in v.lower() for k, v in headers)


async def serve_through_cache(cache: ResponseCache, key: str, app: Callable, scope: dict,
                              receive: Callable, send: Callable) -> str:
    """Everything but the local fresh hit (the edge answers that): a fresh entry in the
    shared store, else one coalesced fetch; STALE when the fetch fails and one is kept.
    Returns the answer's ``X-Cache`` (HIT, MISS or STALE) for the metrics."""
    if_none_match = scope["hub.headers"].get(b"if-none-match")
    entry = cache.entry(key)
    if entry is not None and cache.is_fresh(entry):
        await send_entry(send, entry, b"HIT", if_none_match)
        return "HIT"
    shared = await cache.lookup(key)
    if shared is not None and cache.is_fresh(shared):
        await send_entry(send, shared, b"HIT", if_none_match)
        return "HIT"
    stale = shared or entry

    async def fetch() -> Captured | Entry:
        epoch = cache.epoch()
        answer = await capture(app, scope, receive)
        if answer.status != 200 or _no_store(answer.headers):
            return answer  # passed on as it is, never kept
        content_type = next((v for k, v in answer.headers if k == b"content-type"), b"application/json")
        kept = [(k, v) for k, v in answer.headers if k in _KEPT]
        fresh = cache.make_entry(answer.body, content_type, scope["path"].rsplit("/", 1)[-1], kept)
        await cache.store_entry(key, fresh, epoch)
        return fresh

    try:
        result, leader = await cache.coalesce(key, fetch)
    except Exception:
        if cache.can_serve_stale(stale):
            await send_entry(send, stale, b"STALE", if_none_match)
            return "STALE"
        raise
    if isinstance(result, Entry):
        await send_entry(send, result, b"MISS" if leader else b"HIT", if_none_match)
        return "MISS" if leader else "HIT"
    if result.status >= 500 and cache.can_serve_stale(stale):
        await send_entry(send, stale, b"STALE", if_none_match)
        return "STALE"
    await send({"type": "http.response.start", "status": result.status,
                "headers": [*result.headers, (b"x-cache", b"MISS")]})
    await send({"type": "http.response.body", "body": result.body})
    return "MISS"


class CachePolicy:
    name, fails = "cache", "open"

    def __init__(self, cache: ResponseCache, metrics: Registry) -> None:
        self.cache = cache
        self._lookups = metrics.counter("hub_cache_lookups_total", "Cacheable GETs by route and X-Cache result",
                                        ["route", "result"])

    def applies(self, route: Route | None) -> bool:
        return route is not None and route.authenticated and route.cache_scope is not None

    def fresh(self, path: str, query: bytes, principal: Principal, route: Route) -> Entry | None:
        """The hit lane's question (``gateway.lane``): this process's fresh entry for a GET, or
        None (no entry, stale, or a request the cache does not key). ``answered`` counts it."""
        key = self.cache.key_for({"method": "GET", "path": path, "query_string": query}, principal,
                                 route.cache_scope)  # type: ignore[arg-type]
        return self.cache.fresh_local(key) if key is not None else None

    def answered(self, route: Route, count: int) -> None:
        """Hits the lane answered, counted as ``enter`` counts its own."""
        self._lookups.inc(route.name, "HIT", amount=count)

    async def enter(self, exchange: Exchange) -> bool:
        """A fresh entry of this process's copy is answered here (no app, no span unless
        sampled); else the miss goes through ``serve_through_cache`` in the target's place."""
        route = exchange.route
        key = self.cache.key_for(exchange.scope, exchange.principal, route.cache_scope)  # type: ignore[union-attr,arg-type]
        if key is None:
            return False
        entry = self.cache.fresh_local(key)
        if entry is None or exchange.head:
            exchange.through = partial(self._through, key)
            return False
        self._lookups.inc(route.name, "HIT")  # type: ignore[union-attr]
        traced = hit_span(exchange.scope, route.name)  # type: ignore[union-attr]
        if traced is None:
            exchange.status = await send_entry(exchange.send, entry, b"HIT", exchange.headers.get(b"if-none-match"),
                                               [*exchange.extra, (b"traceparent", exchange.traceparent())])
            return True
        with traced as span:
            exchange.span_header = span_traceparent(span)
            exchange.status = await send_entry(exchange.send, entry, b"HIT", exchange.headers.get(b"if-none-match"),
                                               [*exchange.extra, (b"traceparent", exchange.traceparent())])
        return True

    async def _through(self, key: str, exchange: Exchange, target: Callable, scope: dict) -> None:
        result = await serve_through_cache(self.cache, key, target, scope, exchange.body, exchange)
        self._lookups.inc(exchange.route.name, result)  # type: ignore[union-attr]
