"""QBO's own throttle, per realm: 500 requests a minute and 10 at once.

The vendor API's outer ASGI layer (outside the fault switch, whose latency
therefore counts as time in flight). Over either limit QBO answers 429 with its
``ThrottlingFault``; the sandbox adds ``Retry-After``: the seconds until the
minute window frees a request, or 1 for the concurrency limit.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import msgspec
from litestar.types import ASGIApp, Receive, Scope, Send

PER_MINUTE, AT_ONCE, WINDOW = 500, 10, 60.0


class RealmLimits:
    """The request log and in-flight count of one realm."""

    def __init__(self, per_minute: int = PER_MINUTE, at_once: int = AT_ONCE,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute, self.at_once, self._clock = per_minute, at_once, clock
        self.reset()

    def reset(self) -> None:
        self._log: deque[float] = deque()
        self.in_flight = 0

    def admit(self) -> float | None:
        """Count one request in; ``None`` when admitted, else the seconds to wait."""
        now = self._clock()
        while self._log and self._log[0] <= now - WINDOW:
            self._log.popleft()
        if len(self._log) >= self.per_minute:
            return max(self._log[0] + WINDOW - now, 1.0)
        if self.in_flight >= self.at_once:
            return 1.0
        self._log.append(now)
        self.in_flight += 1
        return None

    def done(self) -> None:
        self.in_flight = max(self.in_flight - 1, 0)  # a reset may have come in between


def realm_limits(company: Any, throttled: msgspec.Struct) -> list[Callable[[ASGIApp], ASGIApp]]:
    """The middleware applying ``company.limits`` to every vendor API request."""

    def middleware(app: ASGIApp) -> ASGIApp:
        async def limited(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            wait = company.limits.admit()
            if wait is not None:
                content = msgspec.json.encode(throttled)
                await send({"type": "http.response.start", "status": 429, "headers": [
                    (b"content-type", b"application/json"), (b"content-length", str(len(content)).encode()),
                    (b"retry-after", str(math.ceil(wait)).encode())]})
                await send({"type": "http.response.body", "body": content})
                return
            try:
                await app(scope, receive, send)
            finally:
                company.limits.done()

        return limited

    return [middleware]
