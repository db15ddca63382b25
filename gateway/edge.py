"""The edge: pure ASGI, built once, no per-request state on the instance.

For every request, in this order:

1. headers        one pass over the request headers into ``scope["hub.headers"]``
                  (a dict; the last of a repeated header wins), read by every policy
2. request id     echo a valid ``X-Request-ID`` or make one; on every response
3. routing        longest matching prefix -> a route (``gateway.route``) and its target
                  (in process, or a proxy); HEAD is served as GET without the body;
                  the request's bytes go through a body guard (over ``max_body_bytes``
                  while streaming -> 413, not in within ``body_timeout`` s -> 408, the
                  client gone -> counted 499)
4. the policies   the route's steps of the declared chain (``gateway.policies.chain``:
                  cors, framing, identity, limits, cache; each with its own config and
                  failure choice, docs/edge.md), compiled per route when the edge is
                  built: a policy a route does not need is not on its path at all.
                  A policy may answer the request itself (a preflight, a cache hit)
5. the target     no route -> 404; else in a SERVER span continuing the incoming
                  ``traceparent`` (opened only here: a cache hit needs none), with the
                  principal in the scope and, for a remote target, signed in
                  ``X-Hub-Principal``; through the cache on a cacheable miss

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
from typing import Callable

from gateway.exchange import Exchange
from gateway.lane import HitLane
from gateway.policies.chain import Chain, Step
from gateway.route import READ_ONLY, Route
from shared.asgi import GuardedReceive
from shared.errors import HubError, NotFound
from shared.identity import PRINCIPAL_HEADER, sign_principal
from shared.metrics import Registry
from shared.outage import store_outage
from shared.problems import send_problem
from shared.telemetry import server_span, span_traceparent

__all__ = ["Edge", "READ_ONLY", "Route"]
log = logging.getLogger("commerce_hub.gateway")
_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:\-]{1,200}")
_PRINCIPAL = PRINCIPAL_HEADER.encode()


class Edge:
    def __init__(self, routes: list[Route], chain: Chain, metrics: Registry, *, internal_secret: str,
                 max_body_bytes: int = 1024 * 1024, body_timeout: float = 30.0) -> None:
        self.chain = chain
        self._routes = [(r, _Compiled(r, chain.steps(r))) for r in sorted(routes, key=lambda r: len(r.prefix),
                                                                         reverse=True)]
        self._unmatched = chain.steps(None)
        self._secret = internal_secret
        self._max_body = max_body_bytes
        self._body_timeout = body_timeout
        self._requests = metrics.counter("hub_http_requests_total", "Requests by route and status", ["route", "status"])
        self._latency = metrics.histogram("hub_http_request_seconds", "Request latency by route", ["route"])
        self.lane = HitLane.build(self)
        """The hit lane (``gateway.lane``) the server offers bodiless GETs to; None without a cache."""

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return  # lifespan is handled by the role's composition root
        started = time.perf_counter()
        head = scope["method"] == "HEAD"
        if head:  # served as GET; the server's own scope keeps HEAD, so it frames the answer without a body
            scope = {**scope, "method": "GET"}
        headers = scope["hub.headers"] = dict(scope["headers"])
        request_id = scope["hub.request_id"] = _request_id(headers.get(b"x-request-id"))
        route, compiled = self.route_for(scope["path"])
        body = GuardedReceive(receive, self._max_body, self._body_timeout)
        exchange = scope["hub.answer"] = Exchange(send, scope, headers, request_id, body, route)
        exchange.head = head
        try:
            for step in compiled.steps if compiled is not None else self._unmatched:
                if await step(exchange):
                    break
            else:
                await self._forward(exchange, compiled, body)
        except HubError as exc:
            await send_problem(exchange, exc, scope, exchange.trace_id())
        except Exception as exc:  # the last line of defence: log, answer 503 (a store is out) or a bare 500
            outage = store_outage(exc)
            if body.disconnected:
                log.info("client gone during %s %s", scope["method"], scope["path"], exc_info=True)
            elif outage is not None:
                log.warning("store unreachable on %s: %r", scope["path"], exc)
            else:
                log.exception("unhandled error at the edge on %s", scope["path"])
            failure = outage or HubError("An unexpected error occurred.")
            await send_problem(exchange, failure, scope, exchange.trace_id())
        finally:
            # The exchange holds the scope and the scope the exchange: a cycle that would keep the
            # server's receive channel (in the body guard) alive until the cyclic collector ran,
            # and a server may close a connection only once that channel is dropped (granian, the
            # earlier server: a 408's ``Connection: close`` then took seconds). Broken here, it goes
            # with the request.
            del scope["hub.answer"]
            exchange.scope = None  # type: ignore[assignment]  # and through any copy of the scope
        name = route.name if route is not None else "unmatched"
        self._requests.inc(name, str(exchange.status))
        self._latency.observe(time.perf_counter() - started, name)

    @property
    def routes(self) -> list[Route]:
        return [route for route, _ in self._routes]

    @staticmethod
    def request_id(candidate: bytes | None) -> bytes:
        return _request_id(candidate)

    def latency_bounds(self, route: str) -> tuple[float, ...]:
        return self._latency.bounds(route)

    def count_many(self, route: str, status: str, buckets: list[int], seconds: float) -> None:
        """Requests answered past ``__call__`` (the hit lane, tallied there), in the same two metrics:
        ``buckets`` counts them per latency bucket, ``seconds`` is their total time."""
        self._requests.inc(route, status, amount=sum(buckets))
        self._latency.observe_many(buckets, seconds, route)

    def route_for(self, path: str) -> tuple[Route | None, _Compiled | None]:
        """The route whose prefix is the longest to match `path`, and its compiled steps."""
        for route, compiled in self._routes:
            if path.startswith(route.prefix):
                return route, compiled
        return None, None

    async def _forward(self, exchange: Exchange, compiled: _Compiled | None, receive: Callable) -> None:
        """Past every policy: the target, with the principal (if any) in a copy of the scope."""
        if compiled is None:
            raise NotFound("No API answers at this path.")
        scope, principal = exchange.scope, exchange.principal
        if principal is not None:
            scope = {**scope, "hub.principal": principal}
            if compiled.route.remote:
                scope["headers"] = [h for h in scope["headers"] if h[0] != _PRINCIPAL]
                scope["headers"].append((_PRINCIPAL, sign_principal(principal, self._secret).encode()))
        if exchange.through is not None:
            await exchange.through(exchange, compiled, scope)
        else:
            await compiled(scope, receive, exchange)


class _Compiled:
    """A route's target and its steps of the chain. Calling it runs the target in a SERVER
    span continuing ``traceparent``: opened only when a request goes past the policies, so
    a cache hit costs no span. A problem raised downstream is answered inside the span,
    so its ``trace_id`` is the span's."""

    __slots__ = ("route", "steps", "_name")

    def __init__(self, route: Route, steps: tuple[Step, ...]) -> None:
        self.route = route
        self.steps = steps
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
