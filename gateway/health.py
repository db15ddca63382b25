"""Liveness, readiness and Prometheus metrics (pure ASGI).

`/metrics` needs the ``metrics:read`` or ``admin`` scope where the edge authenticates it
(the gateway); internal roles serve it like their other internal routes.

`/health/live` answers while the process runs. `/health/ready` checks each
dependency the role needs (database, Redis when set) with a short timeout
and answers 503 naming the failing one.
"""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable

import msgspec

from shared.asgi import send_response
from shared.errors import Forbidden, NotFound
from shared.metrics import CONTENT_TYPE, Registry

Check = Callable[[], Awaitable[None]]
METRICS_SCOPES = frozenset({"metrics:read", "admin"})


class HealthApp:
    def __init__(self, checks: dict[str, Check], metrics: Registry, timeout: float = 2.0) -> None:
        self._checks = checks
        self._metrics = metrics
        self._timeout = timeout

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        path = scope["path"]
        if path == "/metrics":
            principal = scope.get("hub.principal")
            if principal is not None and not principal.scopes & METRICS_SCOPES:
                raise Forbidden("Metrics need the scope 'metrics:read' (or 'admin').", code="insufficient_scope")
            await _send(send, 200, CONTENT_TYPE, (await self._metrics.scrape()).encode())
        elif path == "/health/live":
            await _send(send, 200, b"application/json", b'{"status":"ok"}')
        elif path == "/health/ready":
            results = {name: await self._run(check) for name, check in self._checks.items()}
            ok = all(r == "ok" for r in results.values())
            body = msgspec.json.encode({"status": "ok" if ok else "unavailable", "checks": results})
            await _send(send, 200 if ok else 503, b"application/json", body)
        else:  # the edge answers it as a problem
            raise NotFound("No such health resource.")

    async def _run(self, check: Check) -> str:
        try:
            async with asyncio.timeout(self._timeout):
                await check()
        except Exception as exc:  # a readiness probe reports every failure, it never raises
            return f"failing: {type(exc).__name__}"
        return "ok"


async def _send(send: Callable, status: int, content_type: bytes, body: bytes) -> None:
    await send_response(send, status, [(b"content-type", content_type), (b"cache-control", b"no-store")], body)
