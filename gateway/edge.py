"""The edge: pure ASGI, built once, no per-request state on the instance.

Policies run in this explicit order for every request:

1. request id     echo a valid ``X-Request-ID`` or make one; on every response;
                  CORS (policies/cors.py): preflights answered here, before identity
2. routing        longest matching prefix -> a target app (in process, or a proxy)
3. body limit     over ``max_body_bytes`` -> 413, by Content-Length or while streaming
4. identity       routes that need it: API key or bearer token -> ``Principal`` (401)
5. rate limit     per consumer and plan -> RateLimit fields on the answer, or 429
6. cache          cacheable GETs: HIT/MISS/STALE per price context (policies/caching.py)
7. the target     in a SERVER span continuing the incoming ``traceparent`` (opened
                  only here: a cache hit needs none), with the principal in the
                  scope and, for a remote target, signed in ``X-Hub-Principal``

Anything raised past the target becomes a problem answer; nothing unexpected
ever leaks (it is logged with the trace id).
"""

from __future__ import annotations

import itertools
import logging
import re
import time
import uuid
from typing import Awaitable, Callable

import msgspec

from gateway.identity import Authenticator
from gateway.policies.cache import ResponseCache
from gateway.policies.cors import Cors
from gateway.policies.caching import serve_through_cache
from gateway.policies.ratelimit import RateLimiter
from shared.errors import HubError, NotFound, PayloadTooLarge, RateLimited
from shared.identity import PRINCIPAL_HEADER, sign_principal
from shared.metrics import Registry
from shared.problems import send_problem
from shared.telemetry import incoming_trace_id, server_span

ASGIApp = Callable[[dict, Callable, Callable], Awaitable[None]]
log = logging.getLogger("commerce_hub.gateway")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,200}$")


class Route(msgspec.Struct, frozen=True):
    prefix: str
    app: ASGIApp
    name: str
    authenticated: bool = True
    remote: bool = False
    """A remote target gets the principal as a signed header instead of in the scope."""
    cache_scope: str | None = None
    """Cacheable GETs: the scope a principal needs for a cached answer (None: not cached)."""


class Edge:
    def __init__(
        self,
        routes: list[Route],
        authenticator: Authenticator,
        limiter: RateLimiter,
        metrics: Registry,
        *,
        cache: ResponseCache | None = None,
        cors: Cors | None = None,
        internal_secret: str,
        max_body_bytes: int = 1024 * 1024,
    ) -> None:
        self._routes = sorted(routes, key=lambda r: len(r.prefix), reverse=True)
        self._auth = authenticator
        self._limiter = limiter
        self._cache = cache
        self._cors = cors if cors is not None and cors.enabled else None
        self._secret = internal_secret
        self._max_body = max_body_bytes
        self._requests = metrics.counter("hub_http_requests_total", "Requests by route and status", ["route", "status"])
        self._latency = metrics.histogram("hub_http_request_seconds", "Request latency by route", ["route"])

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return  # lifespan is handled by the role's composition root
        request_id = _request_id(scope)
        route = self._route(scope["path"])
        extra_headers: list[tuple[bytes, bytes]] = [(b"x-request-id", request_id.encode())]
        status_seen = [500]
        started = time.perf_counter()

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                status_seen[0] = message["status"]
                message = {**message, "headers": [*message.get("headers", []), *extra_headers]}
            await send(message)

        scope["hub.request_id"] = request_id
        if self._cors is not None:
            origin = self._cors.origin_of(scope)
            if self._cors.is_preflight(scope):
                await self._cors.preflight(origin, send_with_headers)
                return
            extra_headers += self._cors.response_headers(origin)
        try:
            await self._handle(scope, receive, send_with_headers, route, extra_headers)
        except HubError as exc:
            await send_problem(send_with_headers, exc, scope, incoming_trace_id(scope))
        except Exception:  # the last line of defence: log, answer a bare 500
            log.exception("unhandled error at the edge on %s", scope["path"])
            await send_problem(send_with_headers, HubError("An unexpected error occurred."), scope, incoming_trace_id(scope))
        name = route.name if route else "unmatched"
        self._requests.inc(name, str(status_seen[0]))
        self._latency.observe(time.perf_counter() - started, name)

    def _route(self, path: str) -> Route | None:
        for route in self._routes:
            if path.startswith(route.prefix):
                return route
        return None

    async def _handle(self, scope: dict, receive: Callable, send: Callable, route: Route | None,
                      extra_headers: list[tuple[bytes, bytes]]) -> None:
        if route is None:
            raise NotFound("No API answers at this path.")
        receive = self._limit_body(scope, receive)
        if route.authenticated:
            principal = await self._auth.authenticate(scope)
            decision = await self._limiter.hit(principal.consumer, principal.plan)
            extra_headers.extend(decision.headers())
            if not decision.allowed:
                raise RateLimited(
                    f"The plan {decision.plan!r} allows {decision.quota} requests per {decision.window} s.",
                    headers={"Retry-After": str(decision.retry_after)},
                )
            scope = {**scope, "hub.principal": principal}
            if route.remote:
                signed = sign_principal(principal, self._secret).encode()
                scope["headers"] = [h for h in scope["headers"] if h[0] != PRINCIPAL_HEADER.encode()]
                scope["headers"].append((PRINCIPAL_HEADER.encode(), signed))
            if route.cache_scope and self._cache is not None:
                key = self._cache.key_for(scope, principal, route.cache_scope)
                if key is not None:
                    await serve_through_cache(self._cache, key, _Traced(route), scope, receive, send)
                    return
        await _Traced(route)(scope, receive, send)

    def _limit_body(self, scope: dict, receive: Callable) -> Callable:
        limit = self._max_body
        for name, value in scope["headers"]:
            if name == b"content-length":
                if not value.isdigit() or int(value) > limit:
                    raise PayloadTooLarge(f"The body exceeds {limit} bytes.")
                break
        seen = [0]

        async def limited_receive() -> dict:
            message = await receive()
            if message["type"] == "http.request":
                seen[0] += len(message.get("body", b""))
                if seen[0] > limit:  # a HubError: whichever app reads the body answers 413
                    raise PayloadTooLarge(f"The body exceeds {limit} bytes.")
            return message

        return limited_receive


class _Traced:
    """The downstream call, in a SERVER span continuing ``traceparent``. Opened only when a
    request goes past the edge: a cache hit costs no span. A problem raised downstream
    is answered inside the span, so its ``trace_id`` is the span's."""

    __slots__ = ("route",)

    def __init__(self, route: Route) -> None:
        self.route = route

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        with server_span(scope, f"{scope['method']} {self.route.name}") as span:
            span.set_attribute("http.request.id", scope.get("hub.request_id", ""))
            try:
                await self.route.app(scope, receive, send)
            except HubError as exc:
                await send_problem(send, exc, scope)


_ID_PREFIX = uuid.uuid4().hex[:16]
_ID_COUNTER = itertools.count(1)


def _request_id(scope: dict) -> str:
    """The caller's id when it is sane, else a unique one (process prefix + counter: cheap)."""
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            if _REQUEST_ID.match(candidate):
                return candidate
            break
    return f"{_ID_PREFIX}{next(_ID_COUNTER):016x}"
