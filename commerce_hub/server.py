"""``hub serve``'s HTTP server: uvicorn (httptools parsing, uvloop) with the hub's protocol.

``HubProtocol`` is uvicorn's HTTP/1.1 protocol with three things added:

- **the hit lane**: a complete, bodiless ``GET`` that arrives while the connection is idle is
  offered to the app's lane (``gateway.lane.HitLane``) inside the socket callback, before any
  parsing by uvicorn, any scope or any task. The lane answers a fresh cache hit that every
  policy of the edge's chain passes without waiting (identity from the key cache, the
  in-process rate limit, the local cache entry); anything else it declines, and the bytes go
  to uvicorn's parser as they came. It is what brings a cache hit near nginx's own
  ``proxy_cache`` (docs/performance.md);
- **a header timeout** (``HUB_HTTP_HEADER_TIMEOUT_SECONDS``): a connection that has not sent a
  whole request head in time is closed (uvicorn has no such timer; granian had);
- **a head size bound** (``MAX_HEAD_BYTES``): a request head past it is answered 431 and the
  connection closed; a request the parser refuses (Content-Length beside Transfer-Encoding,
  broken framing) is answered 400 as a problem document, the connection closed.

Keep-alive (``HUB_HTTP_KEEPALIVE_SECONDS``, 0: off) is uvicorn's; a lane answer counts as
activity, so an idle timer armed before it is re-armed for the time left, not fired.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.supervisors import Multiprocess

from shared.errors import BadRequest, HubError
from shared.problems import problem_body
from shared.settings import Settings

MAX_HEAD_BYTES = 64 * 1024
"""The request line and headers together; more is 431 (nginx allows 32 KiB by default)."""
LINGER_SECONDS = 2.0
"""How long a refused connection's late input is read and dropped before it is closed."""
_STRICT_GET = re.compile(rb"GET /[!-~]* HTTP/1\.1\r\n(?:[!#$%&'*+.^_`|~0-9A-Za-z-]+:[\t -~]*\r\n)+\r\n")
"""The one shape the lane reads itself: a GET with ASCII headers, no folding, nothing after."""
_REASONS = {400: b"Bad Request", 431: b"Request Header Fields Too Large"}


class HeadTooLarge(HubError):
    status, code, title = 431, "request_header_fields_too_large", "Request header fields too large"


class HubConfig(uvicorn.Config):
    """uvicorn's configuration plus the hub protocol's own settings (pickled to each worker)."""

    def __init__(self, *args: Any, header_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = header_timeout


class HubProtocol(HttpToolsProtocol):
    def __init__(self, config: HubConfig, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self._header_timeout = config.header_timeout
        self._head_timer: asyncio.TimerHandle | None = None
        self._in_message = False
        """Between the first byte of a request and its last (its body's included): the parser is
        inside a message, so no chunk can be a new request for the lane."""
        self._head_bytes = 0
        self._oversized = False
        """A head went past MAX_HEAD_BYTES: the connection is refused (431) and read no further."""
        self._lane_at = 0.0
        """When the lane last answered on this connection (the idle timer's activity)."""
        self._draining = False
        """Refused and half-closed: what still arrives is read and dropped until the client closes."""
        holder = self.app
        while not hasattr(holder, "lane") and hasattr(holder, "app"):  # past uvicorn's own middleware
            holder = holder.app
        self._lane_holder = holder

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._draining:
            return
        if data.startswith(b"GET ") and data.endswith(b"\r\n\r\n") and not self._in_message and self._idle():
            lane = getattr(self._lane_holder, "lane", None)
            if lane is not None and _STRICT_GET.fullmatch(data):
                answer = lane(data, self.server_state.default_headers)
                if answer is not None:
                    if self._head_timer is not None:
                        self._disarm_head_timer()
                    self.server_state.total_requests += 1
                    self._lane_at = self.loop.time()
                    self.transport.write(answer)
                    if self.timeout_keep_alive_task is None:
                        self._arm_idle_timer()
                    return
        super().data_received(data)
        if self._oversized:
            self._refuse(HeadTooLarge(f"The request line and headers exceed {MAX_HEAD_BYTES} bytes."))

    def _idle(self) -> bool:
        """No request under way or waiting on this connection, and the client reading what it was
        sent (else its backpressure goes through uvicorn's flow control): the lane may answer."""
        return (self.cycle is None or self.cycle.response_complete) and not self.pipeline \
            and not self.flow.write_paused and not self.transport.is_closing()

    def on_message_begin(self) -> None:
        if self._oversized:
            return
        super().on_message_begin()
        self._in_message, self._head_bytes = True, 0
        if self._head_timer is None:
            self._arm_head_timer()

    def on_url(self, url: bytes) -> None:
        self._head_bytes += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        """Counted as parsed; past the bound the fields are no longer kept, and the request is
        refused once the parser hands the chunk back (``data_received``)."""
        self._head_bytes += len(name) + len(value) + 4
        if self._head_bytes > MAX_HEAD_BYTES:
            self._oversized = True  # for good: nothing after it on this connection is read as a request
        if not self._oversized:
            super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._disarm_head_timer()
        if not self._oversized:  # else no request starts: it is refused
            super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._oversized:
            super().on_body(body)

    def on_message_complete(self) -> None:
        self._in_message = False
        if not self._oversized:
            super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        self._refuse(BadRequest("The request's framing could not be parsed (a malformed request line or header, or "
                                "Content-Length beside Transfer-Encoding: RFC 9112 section 6.3).", code="bad_framing"))

    def _refuse(self, error: HubError) -> None:
        """Answer `error` as a problem and close: the rest of the connection cannot be trusted."""
        if self._draining:
            return
        self._disarm_head_timer()
        body = problem_body(error, "/", None)
        head = [b"HTTP/1.1 %d %s\r\n" % (error.status, _REASONS.get(error.status, b"Error"))]
        head += [b"%s: %s\r\n" % pair for pair in self.server_state.default_headers]
        head.append(b"content-type: application/problem+json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n"
                    % len(body))
        self.transport.write(b"".join(head) + body)
        if not self.transport.can_write_eof():
            self.transport.close()
            return
        # A lingering close, as nginx does: closing with unread input would reset the connection and
        # could destroy the answer before the client reads it. Half-close, drop what still comes, and
        # close when the client does or LINGER_SECONDS pass.
        self.transport.write_eof()
        self._draining = True
        self.loop.call_later(LINGER_SECONDS, self.transport.close)

    def _arm_head_timer(self) -> None:
        self._head_timer = self.loop.call_later(self._header_timeout, self._head_timed_out)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        """A connection that opened or began a request and has not finished its head in time (the
        timer runs only then): dropped, as nginx and granian do (no answer: it may still be sending)."""
        self._head_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    def _arm_idle_timer(self) -> None:
        self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive, self.timeout_keep_alive_handler)

    def timeout_keep_alive_handler(self) -> None:
        left = self._lane_at + self.timeout_keep_alive - self.loop.time()
        if left > 0 and not self.transport.is_closing():
            self.timeout_keep_alive_task = self.loop.call_later(left, self.timeout_keep_alive_handler)
            return
        self.timeout_keep_alive_task = None
        super().timeout_keep_alive_handler()


def config(settings: Settings, workers: int) -> HubConfig:
    keepalive = settings.http_keepalive_seconds
    return HubConfig(
        "commerce_hub.asgi:create_app", factory=True, interface="asgi3", lifespan="on",
        host=settings.host, port=settings.port, workers=workers, backlog=2048,
        loop="uvloop" if _has_uvloop() else "asyncio", http=HubProtocol, ws="none",
        log_config=None, access_log=False, log_level=settings.log_level.lower(),
        proxy_headers=False, server_header=False, date_header=True,
        timeout_keep_alive=keepalive, timeout_graceful_shutdown=30,
        header_timeout=settings.http_header_timeout_seconds,
    )


def serve(settings: Settings, workers: int) -> None:
    """Run the role's app until SIGINT or SIGTERM (several worker processes for workers > 1)."""
    cfg = config(settings, workers)
    if workers > 1:
        Multiprocess(cfg, sockets=[cfg.bind_socket()]).run()  # each worker process runs its own Server(cfg)
    else:
        uvicorn.Server(cfg).run()


def _has_uvloop() -> bool:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True


