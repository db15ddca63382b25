"""A remote target for the edge: forwards a request to a split role over HTTP.

Streams nothing twice: the request body (already bounded by the edge) is
read once and sent, the answer is relayed with its status and headers.
Hop-by-hop headers are dropped both ways.
"""

from __future__ import annotations

from typing import Callable

import httpx

from shared.asgi import read_body, send_response
from shared.errors import BackendUnavailable
from shared.telemetry import inject_trace_headers

_HOP = {b"connection", b"keep-alive", b"transfer-encoding", b"te", b"upgrade", b"host", b"content-length",
        b"proxy-authorization", b"proxy-authenticate", b"trailer"}


_TRACE = {b"traceparent", b"tracestate"}


class Upstream:
    def __init__(self, client: httpx.AsyncClient, name: str) -> None:
        self._client = client
        self._name = name

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        body = await read_body(receive)  # already bounded by the edge
        headers = [(k, v) for k, v in scope["headers"] if k not in _HOP and k not in _TRACE]
        headers += [(k.encode(), v.encode()) for k, v in inject_trace_headers({}).items()]
        url = scope["path"] + (("?" + scope["query_string"].decode("latin-1")) if scope.get("query_string") else "")
        try:
            response = await self._client.request(scope["method"], url, headers=headers, content=body)
        except httpx.HTTPError as exc:
            raise BackendUnavailable(f"The {self._name} role did not answer.", backend=self._name) from exc
        out = [(k.lower(), v) for k, v in response.headers.raw if k.lower() not in _HOP and k.lower() != b"x-request-id"]
        out.append((b"content-length", str(len(response.content)).encode()))
        await send_response(send, response.status_code, out, response.content)
