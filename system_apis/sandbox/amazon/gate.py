"""The Amazon sandbox's outer ASGI layer: the access token, the usage-plan buckets, the rate header.

- ``x-amz-access-token`` must be the sandbox's fixed token, an unexpired one its
  LWA endpoint issued, or an RDT naming this call (``auth.py``), else 403
  ``Unauthorized`` in Amazon's error body (a pre-signed document URL,
  ``/uploads/``, and the LWA endpoint need none).
- Each operation has its own token bucket (``PLANS``: Amazon's default usage
  plans, bar a few raised as Amazon raises them for sellers who need it, so a
  sandbox polled every few seconds is not throttled for a minute); an empty
  bucket answers 429 ``QuotaExceeded``.
- Every answer carries ``x-amzn-RateLimit-Limit`` (the operation's rate), and a
  429 no ``Retry-After`` (Amazon sends none; the fault switch's is removed).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import msgspec
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from system_apis.amazon.limits import PLANS as AMAZON_PLANS
from system_apis.amazon.limits import RATE_HEADER, operation_of
from system_apis.amazon.vendor_schemas import SpError, SpErrors
from system_apis.sandbox.amazon.auth import PII_HEADER

PLANS: dict[str, tuple[float, int]] = {**AMAZON_PLANS, "getOrders": (10.0, 20), "getFeeds": (2.0, 10),
                                       "getFeedDocument": (2.0, 10), "createFeed": (2.0, 15)}
"""The sandbox's usage plan per operation: (requests per second, burst)."""
UNAUTHORIZED = SpErrors(errors=[SpError(code="Unauthorized", message="Access to requested resource is denied.")])
QUOTA_EXCEEDED = SpErrors(errors=[SpError(code="QuotaExceeded",
                                          message="You exceeded your quota for the requested resource.")])


def take(buckets: dict[str, tuple[float, float]], operation: str, clock: Callable[[], float] = time.monotonic) -> bool:
    """One token from ``operation``'s bucket if it holds one (refilled at its rate up to its burst)."""
    rate, burst = PLANS[operation]
    now = clock()
    tokens, then = buckets.get(operation, (float(burst), now))
    tokens = min(float(burst), tokens + (now - then) * rate)
    if tokens < 1.0:
        buckets[operation] = (tokens, now)
        return False
    buckets[operation] = (tokens - 1.0, now)
    return True


async def _answer(send: Send, status: int, body: Any, headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), *headers]})
    await send({"type": "http.response.body", "body": msgspec.json.encode(body)})


def amazon_gate(backend: Any) -> list[Any]:
    """The ``BackendSpec.api_middleware`` of the Amazon sandbox (``backend`` holds the buckets)."""

    def middleware(app: ASGIApp) -> ASGIApp:
        async def gated(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http" or "/uploads/" in scope["path"]:
                await app(scope, receive, send)
                return
            if scope["path"].endswith("/auth/o2/token"):  # Login with Amazon: no access token, no usage plan
                await app(scope, receive, send)
                return
            token = dict(scope["headers"]).get(b"x-amz-access-token", b"").decode(errors="replace")
            path = scope["path"].split(f"/sandbox/{backend.name}", 1)[-1]
            granted = backend.auth.granted(token, scope["method"], path)
            if granted is None and not backend.auth.access_ok(token):
                await _answer(send, 403, UNAUTHORIZED, [])  # wrong, expired, or an RDT used elsewhere
                return
            headers = [(k, v) for k, v in scope["headers"] if k.lower() != PII_HEADER]
            scope = {**scope, "headers": [*headers, (PII_HEADER, ",".join(sorted(granted or ())).encode())]}
            operation = operation_of(scope["method"], scope["path"])
            rate = [(RATE_HEADER.lower().encode(), str(PLANS[operation][0]).encode())] if operation else []
            if operation and not take(backend.buckets, operation):
                await _answer(send, 429, QUOTA_EXCEEDED, rate)
                return

            async def marked(message: Message) -> None:
                if message["type"] == "http.response.start":
                    kept = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"retry-after"]
                    message = {**message, "headers": [*kept, *rate]}
                await send(message)

            await app(scope, receive, marked)

        return gated

    return [middleware]
