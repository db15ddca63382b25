"""The two things every pure-ASGI app of the hub does: read a whole (bounded) body, and
send a whole answer."""

from __future__ import annotations

from typing import Callable

from shared.errors import PayloadTooLarge


async def read_body(receive: Callable, limit: int | None = None) -> bytes:
    """The request body; over `limit` bytes raises `PayloadTooLarge` (413)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if limit is not None and size > limit:
            raise PayloadTooLarge(f"The body exceeds {limit} bytes.")
        chunks.append(chunk)
        if not message.get("more_body") or message["type"] != "http.request":
            return b"".join(chunks)


async def send_response(send: Callable, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    """A whole answer in one body message, with its Content-Length."""
    headers = [*headers, (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
