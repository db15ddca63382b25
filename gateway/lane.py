"""The hit lane: a fresh cache hit answered in the server's socket callback, no ASGI on its way.

The server (``commerce_hub.server``) offers the lane a complete, bodiless ``GET`` of strict
shape that arrived on an idle connection. The lane asks each policy of the edge's declared
chain the question it can answer without waiting, in the chain's order:

1. cors       the route's CORS fields for an ``Origin`` (``Cors.response_headers``)
2. framing    the route answers GET; no body fields (the server sends none here anyway)
3. identity   the principal of the one ``X-API-Key`` from the key service's cache
              (``Identity.known``): not near its refresh, no source being refused
4. cache      this process's fresh entry for the request (``CachePolicy.fresh``)
5. limits     a token spent without waiting (``Limits.take``: the in-process bucket, or a
              token of the live Redis lease)

and answers with exactly the bytes the chain would send: the entry's prebuilt fields, the
request id, the RateLimit fields, CORS, ``traceparent`` (a span when the sampler asks for one).
The cache is asked before limits so that a request the lane then declines has spent nothing.

Any other answer (a miss, an expiring key, a refusal to make, a conditional or HEAD request,
a bearer token, a repeated field, a ``Connection`` field) is declined: ``None``, and the request
goes through the edge as usual, which decides it in full. The lane never refuses anything, so
it can only answer what the chain would have answered 200. Its requests count in the same
metrics (``hub_http_requests_total``, ``hub_http_request_seconds``, ``hub_cache_lookups_total``),
tallied per answer and added within ``FLUSH_SECONDS``.
"""

from __future__ import annotations

import asyncio
import time
from bisect import bisect_left
from typing import TYPE_CHECKING, Iterable

from shared.telemetry import hit_span, span_traceparent
from shared.trace_ids import new_span_id, new_trace_id, parse_traceparent, traceparent

if TYPE_CHECKING:
    from gateway.edge import Edge
    from gateway.policies.chain import Chain
    from gateway.route import Route

_DECLINED = frozenset({b"authorization", b"content-length", b"transfer-encoding", b"if-none-match", b"expect",
                       b"upgrade", b"range", b"if-modified-since"})
"""Fields whose request the chain must judge in full (or that change the answer's framing); a
``Connection`` field too, unless it only asks for what HTTP/1.1 does anyway (``keep-alive``)."""
_HEAD = (b"HTTP/1.1 200 OK\r\n%s%sx-request-id: %s\r\nratelimit-policy: %s\r\nratelimit: %s\r\n%s"
         b"traceparent: %s\r\n\r\n")
"""The answer's head: the server's fields, the entry's, then this request's own, as ``Exchange`` adds them."""
_LANE_POLICIES = {"cors", "framing", "identity", "limits", "cache"}
_DECIDING = {"identity", "limits", "cache"}
FLUSH_SECONDS = 1.0
"""How long lane answers may wait, tallied, before they show in the metrics."""


class HitLane:
    def __init__(self, edge: Edge) -> None:
        policies = {p.name: p for p in edge.chain.policies}
        self._identity, self._limits, self._cache = policies["identity"], policies["limits"], policies["cache"]
        cors = policies.get("cors")
        self._cors = cors if cors is not None and cors.enabled else None
        self._edge = edge
        self._routes = {route.prefix for route in edge.routes if self.serves(edge.chain, route)}
        self._date: tuple[object, bytes] = (None, b"")
        self._tally: dict[str, tuple[Route, list[float]]] = {}
        """Per route: its answers per latency bucket, then their total seconds, since the last flush."""
        self._bounds: tuple[float, ...] | None = None
        self._flush_armed = False

    @staticmethod
    def build(edge: Edge) -> HitLane | None:
        """The edge's lane, or None when its chain has no cache (nothing for a lane to answer)."""
        return HitLane(edge) if _answerable(p.name for p in edge.chain.policies) else None

    @staticmethod
    def serves(chain: Chain, route: Route) -> bool:
        """Whether the lane may answer under `route`: every policy the chain gives it has a lane
        question above, and its three deciding ones apply."""
        return _answerable(p.name for p in chain.applying(route)) and (not route.methods or "GET" in route.methods)

    def __call__(self, data: bytes, defaults: list[tuple[bytes, bytes]]) -> bytes | None:
        """The whole answer to the request `data` (``GET … HTTP/1.1``, headers, blank line; its
        shape checked by the server), or None. `defaults`: the server's own fields (Date)."""
        started = time.perf_counter()
        lines = data[:-4].split(b"\r\n")
        target = lines[0][4:-9]
        headers: dict[bytes, bytes] = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.lower()
            if name in headers or name in _DECLINED:
                return None
            headers[name] = value  # its whitespace stripped where it is read (_field)
        if b"connection" in headers and _field(headers, b"connection").lower() != b"keep-alive":  # type: ignore[union-attr]
            return None
        raw_path, _, query = target.partition(b"?")
        if b"%" in raw_path or b"#" in target:  # the parser's own decoding and splitting: the chain's path
            return None
        path = raw_path.decode("ascii")
        route, _ = self._edge.route_for(path)
        if route is None or route.prefix not in self._routes:
            return None
        principal = self._identity.known(headers, route.credentials)
        if principal is None:
            return None
        entry = self._cache.fresh(path, query, principal, route)
        if entry is None:
            return None
        decision = self._limits.take(principal)
        if decision is None:
            return None
        policy, limit = decision.headers()
        cors = self._cors.response_headers(_field(headers, b"origin")) if self._cors is not None else ()
        head = _HEAD % (self._defaults(defaults), entry.wire(b"HIT"), self._edge.request_id(_field(headers, b"x-request-id")),
                        policy[1], limit[1], b"".join(b"%s: %s\r\n" % pair for pair in cors),
                        _traceparent(headers, route.name))
        self._count(route, time.perf_counter() - started)
        return head + entry.body

    def _count(self, route: Route, seconds: float) -> None:
        """Tally an answer; the tally reaches the metrics within FLUSH_SECONDS (``flush``)."""
        tallied = self._tally.get(route.name)
        if tallied is None:
            if self._bounds is None:
                self._bounds = self._edge.latency_bounds(route.name)
            tallied = self._tally[route.name] = (route, [0] * len(self._bounds) + [0.0])
        counts = tallied[1]
        counts[bisect_left(self._bounds, seconds)] += 1  # type: ignore[arg-type]
        counts[-1] += seconds
        if not self._flush_armed:
            self._flush_armed = True
            asyncio.get_running_loop().call_later(FLUSH_SECONDS, self.flush)

    def flush(self) -> None:
        """Add the tallied answers to ``hub_http_requests_total``, ``hub_http_request_seconds`` and
        ``hub_cache_lookups_total``, as the chain counts its own (four locked increments an answer
        cost more than a tenth of the lane)."""
        self._flush_armed = False
        tally, self._tally = self._tally, {}
        for name, (route, counts) in tally.items():
            buckets = [int(c) for c in counts[:-1]]
            self._edge.count_many(name, "200", buckets, counts[-1])
            self._cache.answered(route, sum(buckets))

    def _defaults(self, defaults: list[tuple[bytes, bytes]]) -> bytes:
        """The server's fields as bytes, made again only when the server changes them (each second)."""
        if self._date[0] is not defaults:
            self._date = (defaults, b"".join(b"%s: %s\r\n" % pair for pair in defaults))
        return self._date[1]


_UNTRACED = {"hub.headers": {}, "headers": []}


def _answerable(names: Iterable[str]) -> bool:
    """Policies the lane can stand in for: identity, limits and cache, and nothing it has no question for."""
    return _DECIDING <= set(names) <= _LANE_POLICIES


def _field(headers: dict[bytes, bytes], name: bytes) -> bytes | None:
    """A field's value without its surrounding whitespace, as the server's parser gives it the chain."""
    value = headers.get(name)
    return value.strip(b" \t") if value is not None else None


def _traceparent(headers: dict[bytes, bytes], name: str) -> bytes:
    """The answer's ``traceparent``: a span's when the sampler records this hit (as the chain's
    ``hit_span``), else one continuing the caller's trace, unsampled here, or starting one."""
    incoming = _field(headers, b"traceparent")
    scope = _UNTRACED if incoming is None else {
        "hub.headers": headers, "headers": [(k, _field(headers, k)) for k in (b"traceparent", b"tracestate") if k in headers]}
    traced = hit_span(scope, name)
    if traced is not None:
        with traced as span:
            return span_traceparent(span)
    parsed = parse_traceparent(incoming)
    return traceparent(parsed[0] if parsed else new_trace_id(), new_span_id(), False)
