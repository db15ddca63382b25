"""The server's floor for the cache-hit row of bench/product.sh: an ASGI app answering every
request with a fixed body and as many headers as a hub cache hit carries, doing nothing
else. Served by granian exactly as ``hub serve`` serves the hub (one worker, uvloop), its
CPU per request is what the server and the ASGI interface cost before any hub code runs.

    .venv/bin/granian --interface asgi --loop uvloop --workers 1 --port PORT bench.floor_app:app
"""

from __future__ import annotations

import os

BODY = os.environ.get("FLOOR_BODY", '{"sku": "SKU-1001"}').encode()
HEADERS = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(BODY)),
           (b"etag", b'"0123456789abcdef01234567"'), (b"x-cache", b"HIT"),
           (b"cache-control", b"private, no-cache"), (b"vary", b"X-API-Key, Authorization"),
           (b"x-request-id", b"0123456789abcdef0000000000000001"),
           (b"ratelimit-policy", b'"bench";q=1000000;w=1'), (b"ratelimit", b'"bench";r=999999;t=0'),
           (b"traceparent", b"00-0123456789abcdef0123456789abcdef-0123456789abcdef-00")]
_START = {"type": "http.response.start", "status": 200, "headers": HEADERS}
_BODY = {"type": "http.response.body", "body": BODY}


async def app(scope: dict, receive, send) -> None:  # noqa: ANN001
    if scope["type"] != "http":
        return
    await send(_START)
    await send(_BODY)
