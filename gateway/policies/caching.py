"""The cache policy at the edge: serve a cached answer, or fetch, store and answer.

HIT: a fresh entry (checked in the local copy first, without awaiting).
MISS: fetched from the app once for all concurrent callers of the key, stored
when it is a 200. STALE: the fetch answered 5xx (or failed) and an entry is
still inside its stale window. Every cached answer carries ``ETag``,
``Cache-Control: private, no-cache`` (clients may keep it but must
revalidate, so a price change is never hidden by a browser cache) and
``Vary``; a matching ``If-None-Match`` gets 304.
"""

from __future__ import annotations

from typing import Callable

import msgspec

from gateway.policies.cache import Entry, ResponseCache

_KEPT = {b"deprecation", b"sunset", b"link"}
_CACHE_HEADERS = [(b"cache-control", b"private, no-cache"), (b"vary", b"X-API-Key, Authorization")]


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


async def send_entry(send: Callable, scope: dict, entry: Entry, label: bytes) -> None:
    inm = None
    for name, value in scope["headers"]:
        if name == b"if-none-match":
            inm = value
            break
    headers = [(b"etag", entry.etag), (b"x-cache", label), *_CACHE_HEADERS, *entry.headers]
    if inm is not None and (inm.strip() == b"*" or entry.etag in [t.strip().removeprefix(b"W/") for t in inm.split(b",")]):
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    headers += [(b"content-type", entry.content_type), (b"content-length", str(len(entry.body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": entry.body})


async def serve_through_cache(cache: ResponseCache, key: str, app: Callable, scope: dict,
                              receive: Callable, send: Callable) -> None:
    entry = cache.entry(key)
    if entry is not None and cache.is_fresh(entry):
        await send_entry(send, scope, entry, b"HIT")
        return
    shared = await cache.lookup(key)
    if shared is not None and cache.is_fresh(shared):
        await send_entry(send, scope, shared, b"HIT")
        return
    stale = shared or entry

    async def fetch() -> Captured | Entry:
        epoch = cache.epoch()
        answer = await capture(app, scope, receive)
        if answer.status != 200:
            return answer
        content_type = next((v for k, v in answer.headers if k == b"content-type"), b"application/json")
        kept = [(k, v) for k, v in answer.headers if k in _KEPT]
        fresh = cache.make_entry(answer.body, content_type, scope["path"].rsplit("/", 1)[-1], kept)
        await cache.store_entry(key, fresh, epoch)
        return fresh

    try:
        result, leader = await cache.coalesce(key, fetch)
    except Exception:
        if cache.can_serve_stale(stale):
            await send_entry(send, scope, stale, b"STALE")
            return
        raise
    if isinstance(result, Entry):
        await send_entry(send, scope, result, b"MISS" if leader else b"HIT")
    elif result.status >= 500 and cache.can_serve_stale(stale):
        await send_entry(send, scope, stale, b"STALE")
    else:
        await send({"type": "http.response.start", "status": result.status,
                    "headers": [*result.headers, (b"x-cache", b"MISS")]})
        await send({"type": "http.response.body", "body": result.body})
