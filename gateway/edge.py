"""The edge: pure ASGI, built once, no per-request state on the instance.

Policies run in this explicit order for every request:

1. headers        one pass over the request headers into ``scope["hub.headers"]``
                  (a dict; the last of a repeated header wins), read by every policy;
                  ``Content-Length`` with ``Transfer-Encoding`` -> 400, a chunked body
                  without ``Content-Length`` -> 411, the connection closed either way
                  (RFC 9112 section 6.3: no framing a proxy could read otherwise)
2. request id     echo a valid ``X-Request-ID`` or make one; on every response;
                  CORS (policies/cors.py): preflights answered here, before identity
3. routing        longest matching prefix -> a target app (in process, or a proxy);
                  a route's declared methods, else 405 with ``Allow``; HEAD is served as
                  GET without the body
4. body guard     over ``max_body_bytes`` -> 413, by Content-Length or while streaming;
                  not in within ``body_timeout`` s -> 408; the client gone -> counted 499
5. identity       routes that need it: the one credential, of a kind the route accepts
                  -> ``Principal`` (401; a source with too many failures: 429)
6. rate limit     per consumer and plan -> RateLimit fields on the answer, or 429
7. cache          cacheable GETs: a fresh local entry is answered right here, with its
                  prebuilt headers plus this request's own; else HIT/MISS/STALE through
                  the shared store and one coalesced fetch (policies/caching.py)
8. the target     in a SERVER span continuing the incoming ``traceparent`` (opened
                  only here: a cache hit needs none), with the principal in the
                  scope and, for a remote target, signed in ``X-Hub-Principal``

Anything raised past the target becomes a problem answer; nothing unexpected
ever leaks (it is logged with the trace id). A body that ended early (the client gone,
or its framing broken) counts as 499 and is logged at INFO, never as a server error.
"""

from __future__ import annotations

import itertools
import logging
import re
import time
import uuid
from typing import Awaitable, Callable, Mapping

import msgspec

from gateway.identity import API_KEY, Authenticator
from gateway.policies.cache import ResponseCache
from gateway.policies.caching import send_entry, serve_through_cache
from gateway.policies.cors import Cors
from gateway.policies.ratelimit import RateLimiter
from shared.asgi import GuardedReceive
from shared.errors import BadRequest, HubError, LengthRequired, NotFound, PayloadTooLarge, RateLimited
from shared.identity import PRINCIPAL_HEADER, sign_principal
from shared.metrics import Registry
from shared.problems import send_problem
from shared.telemetry import hit_span, new_span_id, new_trace_id, parse_traceparent, server_span, span_traceparent, traceparent

ASGIApp = Callable[[dict, Callable, Callable], Awaitable[None]]
log = logging.getLogger("commerce_hub.gateway")
_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:\-]{1,200}")
_PRINCIPAL = PRINCIPAL_HEADER.encode()
READ_ONLY = ("GET", "HEAD")


class Route(msgspec.Struct, frozen=True):
    prefix: str
    app: ASGIApp
    name: str
    authenticated: bool = True
    credentials: frozenset[str] = frozenset({API_KEY})
    """The credential kinds this channel accepts (``gateway.identity``: api_key, oauth, jwt)."""
    remote: bool = False
    """A remote target gets the principal as a signed header instead of in the scope."""
    cache_scope: str | None = None
    """Cacheable GETs: the scope a principal needs for a cached answer (None: not cached)."""
    methods: tuple[str, ...] = ()
    """The methods the route answers (others: 405 with ``Allow``); empty: the app decides."""


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
        body_timeout: float = 30.0,
    ) -> None:
        self._routes = [(r, _Traced(r)) for r in sorted(routes, key=lambda r: len(r.prefix), reverse=True)]
        self._auth = authenticator
        self._limiter = limiter
        self._cache = cache
        self._cors = cors if cors is not None and cors.enabled else None
        self._secret = internal_secret
        self._max_body = max_body_bytes
        self._body_timeout = body_timeout
        self._requests = metrics.counter("hub_http_requests_total", "Requests by route and status", ["route", "status"])
        self._latency = metrics.histogram("hub_http_request_seconds", "Request latency by route", ["route"])
        self._cache_lookups = metrics.counter("hub_cache_lookups_total", "Cacheable GETs by route and X-Cache result",
                                              ["route", "result"])

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return  # lifespan is handled by the role's composition root
        started = time.perf_counter()
        headers = scope["hub.headers"] = dict(scope["headers"])
        request_id = _request_id(headers.get(b"x-request-id"))
        scope["hub.request_id"] = request_id
        body = GuardedReceive(receive, self._max_body, self._body_timeout)
        answer = _Answer(send, [(b"x-request-id", request_id)], body, head=scope["method"] == "HEAD",
                         incoming=headers.get(b"traceparent"))
        scope["hub.answer"] = answer
        if answer.head:
            scope["method"] = "GET"
        route, target = self._route(scope["path"])
        try:
            if self._cors is None or not await self._cors_policy(scope, headers, answer):
                await self._handle(scope, body, answer, route, target, headers)
        except HubError as exc:
            await send_problem(answer, exc, scope, answer.trace_id())
        except Exception:  # the last line of defence: log, answer a bare 500
            if body.disconnected:
                log.info("client gone during %s %s", scope["method"], scope["path"], exc_info=True)
            else:
                log.exception("unhandled error at the edge on %s", scope["path"])
            await send_problem(answer, HubError("An unexpected error occurred."), scope, answer.trace_id())
        name = route.name if route is not None else "unmatched"
        self._requests.inc(name, str(answer.status))
        self._latency.observe(time.perf_counter() - started, name)

    def _route(self, path: str) -> tuple[Route | None, _Traced | None]:
        for route, target in self._routes:
            if path.startswith(route.prefix):
                return route, target
        return None, None

    async def _cors_policy(self, scope: dict, headers: Mapping[bytes, bytes], answer: _Answer) -> bool:
        """True when the request was a preflight and is answered."""
        origin = headers.get(b"origin")
        if Cors.is_preflight(scope["method"], headers):
            await self._cors.preflight(origin, answer)  # type: ignore[union-attr]
            return True
        answer.extra += self._cors.response_headers(origin)  # type: ignore[union-attr]
        return False

    async def _handle(self, scope: dict, receive: Callable, answer: _Answer, route: Route | None,
                      target: _Traced | None, headers: Mapping[bytes, bytes]) -> None:
        if route is None or target is None:
            raise NotFound("No API answers at this path.")
        if route.methods and scope["method"] not in route.methods:
            raise MethodNotAllowed(route.methods)
        length = headers.get(b"content-length")
        if b"transfer-encoding" in headers:  # granian drops a Content-Length sent beside it: only this shows
            if length is not None:
                raise BadRequest("Content-Length and Transfer-Encoding together: refused (RFC 9112 section 6.3).",
                                 code="bad_framing", headers={"Connection": "close"})
            raise LengthRequired("Send the body with Content-Length; chunked request bodies are not accepted.",
                                 headers={"Connection": "close"})
        if length is not None and (not length.isdigit() or int(length) > self._max_body):
            raise PayloadTooLarge(f"The body exceeds {self._max_body} bytes.")
        if not route.authenticated:
            await target(scope, receive, answer)
            return
        principal = await self._auth.authenticate(scope, route.credentials)
        decision = await self._limiter.hit(principal.consumer, principal.plan)
        answer.extra += decision.headers()
        if not decision.allowed:
            raise RateLimited(
                f"The plan {decision.plan!r} allows {decision.quota} requests per {decision.window} s.",
                headers={"Retry-After": str(decision.retry_after)},
            )
        key = None
        if route.cache_scope is not None and self._cache is not None:
            key = self._cache.key_for(scope, principal, route.cache_scope)
            entry = self._cache.fresh_local(key) if key is not None else None
            if entry is not None and not answer.head:  # the hot path: answered here, no app, no span unless sampled
                self._cache_lookups.inc(route.name, "HIT")
                traced = hit_span(scope, route.name)
                if traced is None:
                    answer.status = await send_entry(answer.send, entry, b"HIT", headers.get(b"if-none-match"),
                                                     [*answer.extra, (b"traceparent", answer.traceparent())])
                else:
                    with traced as span:
                        answer.span_header = span_traceparent(span)
                        answer.status = await send_entry(answer.send, entry, b"HIT", headers.get(b"if-none-match"),
                                                         [*answer.extra, (b"traceparent", answer.traceparent())])
                return
        scope = {**scope, "hub.principal": principal}
        if route.remote:
            scope["headers"] = [h for h in scope["headers"] if h[0] != _PRINCIPAL]
            scope["headers"].append((_PRINCIPAL, sign_principal(principal, self._secret).encode()))
        if key is not None:
            result = await serve_through_cache(self._cache, key, target, scope, receive, answer)  # type: ignore[arg-type]
            self._cache_lookups.inc(route.name, result)
        else:
            await target(scope, receive, answer)


class MethodNotAllowed(HubError):
    status, code, title = 405, "method_not_allowed", "Method not allowed"

    def __init__(self, allowed: tuple[str, ...]) -> None:
        super().__init__(f"This resource answers {', '.join(allowed)}.", headers={"Allow": ", ".join(allowed)})


class _Answer:
    """The edge's ``send``: appends this request's own headers (request id, RateLimit,
    CORS, ``traceparent``: the server span's, else one continuing the caller's trace or
    starting one) to the answer and remembers its status for the metrics. A HEAD request's answer
    loses its body (its headers, Content-Length included, stay); once the client is gone
    nothing is sent and the status is 499."""

    __slots__ = ("send", "extra", "status", "body", "head", "incoming", "span_header", "_trace")

    def __init__(self, send: Callable, extra: list[tuple[bytes, bytes]], body: GuardedReceive,
                 head: bool = False, incoming: bytes | None = None) -> None:
        self.send = send
        self.extra = extra
        self.status = 500
        self.body = body
        self.head = head
        self.incoming = incoming
        self.span_header: bytes | None = None
        """The server span's ``traceparent`` once the request has one."""
        self._trace: tuple[int, bytes] | None = None

    def traceparent(self) -> bytes:
        if self.span_header is not None:
            return self.span_header
        if self._trace is None:  # no span: continue the caller's trace (unsampled here) or start one
            parsed = parse_traceparent(self.incoming)
            trace_id = parsed[0] if parsed else new_trace_id()
            self._trace = (trace_id, traceparent(trace_id, new_span_id(), False))
        return self._trace[1]

    def trace_id(self) -> str:
        return self.traceparent()[3:35].decode()

    async def __call__(self, message: dict) -> None:
        if message["type"] == "http.response.start":
            self.status = 499 if self.body.disconnected else message["status"]
            message = {**message, "headers": [*message.get("headers", ()), *self.extra,
                                              (b"traceparent", self.traceparent())]}
        elif self.head and message.get("body"):
            message = {**message, "body": b""}
        if not self.body.disconnected:
            await self.send(message)
            return
        try:  # gone, or broken framing: answered in case anyone still listens
            await self.send(message)
        except Exception:  # noqa: BLE001 - the server may refuse to send to a closed connection
            log.debug("no answer sent: the client is gone")


class _Traced:
    """The downstream call, in a SERVER span continuing ``traceparent``. Opened only when a
    request goes past the edge: a cache hit costs no span. A problem raised downstream
    is answered inside the span, so its ``trace_id`` is the span's."""

    __slots__ = ("route", "_name")

    def __init__(self, route: Route) -> None:
        self.route = route
        self._name = route.name

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        with server_span(scope, f"{scope['method']} {self._name}") as span:
            span.set_attribute("http.request.id", scope.get("hub.request_id", b"").decode("latin-1"))
            answer = scope.get("hub.answer")
            if answer is not None:
                answer.span_header = span_traceparent(span)
            try:
                await self.route.app(scope, receive, send)
            except HubError as exc:
                await send_problem(send, exc, scope)


_ID_PREFIX = uuid.uuid4().hex[:16].encode()
_ID_COUNTER = itertools.count(1)


def _request_id(candidate: bytes | None) -> bytes:
    """The caller's id when it is sane, else a unique one (process prefix + counter: cheap)."""
    if candidate is not None and _REQUEST_ID.fullmatch(candidate):
        return candidate
    return b"%s%016x" % (_ID_PREFIX, next(_ID_COUNTER))
