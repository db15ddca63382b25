"""What every pure-ASGI app of the hub does with a request body and an answer: read the
whole (bounded) body, guard its reading at the edge, and send a whole answer.

A body is refused, as a ``HubError`` raised from ``receive`` to whichever app reads it:
over its size limit 413, not complete within its time limit 408 (``Connection: close``:
the rest of it is never read), ended early ``BodyIncomplete`` (400, ``Connection: close``;
the client left or broke its framing, which the server reports alike as ``http.disconnect``;
the edge counts it as 499, never as a server error).
"""

from __future__ import annotations

import asyncio
from typing import Callable

from shared.errors import BodyIncomplete, PayloadTooLarge, RequestTimeout


async def read_body(receive: Callable, limit: int | None = None) -> bytes:
    """The request body; over `limit` bytes raises `PayloadTooLarge` (413), a body ended
    early `BodyIncomplete` (400)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _incomplete()
        chunk = message.get("body", b"")
        size += len(chunk)
        if limit is not None and size > limit:
            raise PayloadTooLarge(f"The body exceeds {limit} bytes.")
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


class GuardedReceive:
    """The edge's ``receive`` for one request: the body bounded to `limit` bytes and to
    `timeout` seconds from its first read; a disconnect remembered in `disconnected`."""

    __slots__ = ("_receive", "_limit", "_timeout", "_seen", "_deadline", "_done", "disconnected")

    def __init__(self, receive: Callable, limit: int, timeout: float) -> None:
        self._receive = receive
        self._limit = limit
        self._timeout = timeout
        self._seen = 0
        self._deadline: float | None = None
        self._done = False
        self.disconnected = False

    async def __call__(self) -> dict:
        if self._done:  # the body is in: what follows is a wait for a disconnect, untimed
            message = await self._receive()
        else:
            if self._deadline is None:
                self._deadline = asyncio.get_running_loop().time() + self._timeout
            try:
                async with asyncio.timeout_at(self._deadline):
                    message = await self._receive()
            except TimeoutError:
                raise RequestTimeout(f"The body did not arrive within {self._timeout:g} s.",
                                     headers={"Connection": "close"}) from None
        if message["type"] == "http.disconnect":
            self.disconnected = True
            if not self._done:
                raise _incomplete()
        elif message["type"] == "http.request":
            self._seen += len(message.get("body", b""))
            if self._seen > self._limit:  # a HubError: whichever app reads the body answers 413
                raise PayloadTooLarge(f"The body exceeds {self._limit} bytes.")
            self._done = not message.get("more_body")
        return message


def _incomplete() -> BodyIncomplete:
    return BodyIncomplete("The body ended before its announced end, or its chunked framing is broken.",
                          headers={"Connection": "close"})


async def send_response(send: Callable, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    """A whole answer in one body message, with its Content-Length."""
    headers = [*headers, (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
