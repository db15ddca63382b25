"""CORS for browser storefronts: allowed origins come from ``HUB_CORS_ORIGINS`` (none by
default, so browsers on other origins are refused by the browser itself).

A preflight (``OPTIONS`` with ``Access-Control-Request-Method``) is answered at
the edge before authentication, since browsers send it without credentials:
204 with the allowed methods and headers for an allowed origin, 403 for any
other. An actual request from an allowed origin gets
``Access-Control-Allow-Origin`` (the origin itself, with ``Vary: Origin``)
and the response headers a client needs to read exposed.

Fails closed: an origin not listed gets no CORS header (its browser then refuses the
answer) and its preflight is 403. In the chain only when origins are configured.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Mapping

if TYPE_CHECKING:
    from gateway.exchange import Exchange
    from gateway.route import Route

_METHODS = b"GET, POST, PUT, DELETE"
_HEADERS = b"X-API-Key, Authorization, Content-Type, Idempotency-Key, If-None-Match, X-Request-ID, traceparent"
_EXPOSE = (b"RateLimit, RateLimit-Policy, Retry-After, X-Request-ID, X-Cache, ETag, Location, "
           b"Idempotent-Replayed, Deprecation, Sunset, Link")


class Cors:
    name, fails = "cors", "closed"

    def __init__(self, origins: tuple[str, ...]) -> None:
        self._origins = {o.rstrip("/").encode() for o in origins}
        self.enabled = bool(self._origins)

    def applies(self, route: Route | None) -> bool:
        return self.enabled  # every path, a path no route answers included

    async def enter(self, exchange: Exchange) -> bool:
        """A preflight is answered here (True); an actual request gets its CORS fields."""
        origin = exchange.headers.get(b"origin")
        if self.is_preflight(exchange.scope["method"], exchange.headers):
            await self.preflight(origin, exchange)
            return True
        exchange.extra += self.response_headers(origin)
        return False

    @staticmethod
    def is_preflight(method: str, headers: Mapping[bytes, bytes]) -> bool:
        return method == "OPTIONS" and b"access-control-request-method" in headers

    async def preflight(self, origin: bytes | None, send: Callable) -> None:
        allowed = origin is not None and origin in self._origins
        headers = [(b"vary", b"Origin")]
        if allowed:
            headers += [(b"access-control-allow-origin", origin), (b"access-control-allow-methods", _METHODS),
                        (b"access-control-allow-headers", _HEADERS), (b"access-control-max-age", b"600")]
        await send({"type": "http.response.start", "status": 204 if allowed else 403, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    def response_headers(self, origin: bytes | None) -> tuple[tuple[bytes, bytes], ...]:
        if origin is None or origin not in self._origins:
            return ()
        return ((b"access-control-allow-origin", origin), (b"vary", b"Origin"),
                (b"access-control-expose-headers", _EXPOSE))
