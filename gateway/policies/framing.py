"""The request's method and framing, checked before anyone looks at its credential.

- a method the route does not declare: 405 with ``Allow`` (a route declaring none
  leaves the method to its app);
- ``Content-Length`` with ``Transfer-Encoding``: 400, a chunked body without
  ``Content-Length``: 411, the connection closed either way (RFC 9112 section 6.3:
  no framing a proxy could read otherwise);
- a declared ``Content-Length`` over ``max_body_bytes``: 413 (a body that grows past it
  while streaming, or stalls, is the edge's body guard's: ``shared.asgi.GuardedReceive``).

Fails closed: a request whose framing cannot be read is refused, never guessed at.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.errors import BadRequest, HubError, LengthRequired, PayloadTooLarge

if TYPE_CHECKING:
    from gateway.exchange import Exchange
    from gateway.route import Route


class MethodNotAllowed(HubError):
    status, code, title = 405, "method_not_allowed", "Method not allowed"

    def __init__(self, allowed: tuple[str, ...]) -> None:
        super().__init__(f"This resource answers {', '.join(allowed)}.", headers={"Allow": ", ".join(allowed)})


class Framing:
    name, fails = "framing", "closed"

    def __init__(self, max_body_bytes: int) -> None:
        self.max_body_bytes = max_body_bytes

    def applies(self, route: Route | None) -> bool:
        return route is not None  # no route: the 404 needs no body

    async def enter(self, exchange: Exchange) -> bool:
        methods = exchange.route.methods  # type: ignore[union-attr]
        if methods and exchange.scope["method"] not in methods:
            raise MethodNotAllowed(methods)
        headers = exchange.headers
        length = headers.get(b"content-length")
        if b"transfer-encoding" in headers:  # hub serve's parser already refuses it beside a Content-Length
            if length is not None:
                raise BadRequest("Content-Length and Transfer-Encoding together: refused (RFC 9112 section 6.3).",
                                 code="bad_framing", headers={"Connection": "close"})
            raise LengthRequired("Send the body with Content-Length; chunked request bodies are not accepted.",
                                 headers={"Connection": "close"})
        if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
            raise PayloadTooLarge(f"The body exceeds {self.max_body_bytes} bytes.")
        return False
