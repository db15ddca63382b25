"""One request's passage through the edge: what the policies read and leave for the next.

An ``Exchange`` is made per request and is also the edge's ``send``: it appends this
request's own headers (request id, RateLimit, CORS, ``traceparent``: the server span's,
else one continuing the caller's trace or starting one) to the answer and remembers its
status for the metrics. A HEAD request's answer loses its body (its headers,
Content-Length included, stay); once the client is gone nothing is sent and the status
is 499.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Awaitable, Callable, Mapping

from shared.asgi import GuardedReceive
from shared.identity import Principal
from shared.telemetry import new_span_id, new_trace_id, parse_traceparent, traceparent

if TYPE_CHECKING:
    from gateway.route import Route

log = logging.getLogger("commerce_hub.gateway")
Through = Callable[["Exchange", Callable, dict], Awaitable[None]]


class Exchange:
    __slots__ = ("send", "extra", "status", "body", "head", "incoming", "span_header", "_trace",
                 "scope", "headers", "route", "principal", "through")

    def __init__(self, send: Callable, scope: dict, headers: Mapping[bytes, bytes], request_id: bytes,
                 body: GuardedReceive, route: Route | None) -> None:
        self.send = send
        self.scope = scope
        self.headers = headers
        """The request headers, one pass (``scope["hub.headers"]``; the last of a repeated one wins)."""
        self.extra: list[tuple[bytes, bytes]] = [(b"x-request-id", request_id)]
        """This request's own answer headers, which policies add to."""
        self.status = 500
        self.body = body
        self.head = scope["method"] == "HEAD"
        """A HEAD request, served as GET (the edge sets it when it gives the policies a GET scope)."""
        self.incoming = headers.get(b"traceparent")
        self.route = route
        self.principal: Principal | None = None
        """Set by the identity policy."""
        self.through: Through | None = None
        """Set by a policy that must stand between the edge and the target (the cache, on a miss)."""
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
