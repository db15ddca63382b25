"""A measurement for issue 14 item 5, not a server to deploy: the whole hub behind a bare
uvloop protocol (httptools parsing) instead of granian.

``hub serve`` hands each request from granian's Rust threads to the Python loop as a new
task; bench/product.sh shows that hand-off alone (granian answering a fixed body) already
costs more CPU per request than nginx answering from its cache. Here the request is parsed
on the loop's own thread and the ASGI call is stepped at once inside the socket callback:
a cache hit, which never waits, is answered without a task, a thread hop or a wake-up;
a call that does wait (a miss, Redis) is finished as a task. The app is the real
``HubApp`` (``bench.edge_micro._start``: one process, SQLite, a bench key), so the row
measures the edge's full hit path on this protocol.

    .venv/bin/python bench/eager_edge.py --port 18183            # the hub, prints its key
    .venv/bin/python bench/eager_edge.py --port 18184 --fixed    # the protocol's own floor

It keeps what a measurement needs and no more: one request at a time per connection
(reading pauses while a request waits), no chunked request bodies, no upgrades. Bench
only; bench/product.sh runs it with HUB_BENCH_EAGER=1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import sys
import tempfile
from pathlib import Path

import httptools
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.edge_micro import _start  # noqa: E402
from bench.floor_app import app as floor_app  # noqa: E402
from commerce_hub.asgi import settle_heap  # noqa: E402

_REASONS = {200: b"OK", 201: b"Created", 204: b"No Content", 304: b"Not Modified", 400: b"Bad Request",
            401: b"Unauthorized", 403: b"Forbidden", 404: b"Not Found", 429: b"Too Many Requests"}


class _Resume:
    """Yields, inside a task, the future a coroutine yielded when it was first stepped."""

    __slots__ = ("future",)

    def __init__(self, future: object) -> None:
        self.future = future

    def __await__(self):  # noqa: ANN204
        return (yield self.future)


async def _finish(coro, future: object) -> None:  # noqa: ANN001
    """The rest of an app call that suspended on `future` when stepped in the callback."""
    while True:
        try:
            await _Resume(future)
        except BaseException as exc:  # noqa: BLE001 - cancellation goes into the app
            try:
                future = coro.throw(exc)
            except StopIteration:
                return
            continue
        try:
            future = coro.send(None)
        except StopIteration:
            return


class _Connection(asyncio.Protocol):
    def __init__(self, app) -> None:  # noqa: ANN001
        self.app = app
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.gone = asyncio.get_running_loop().create_future()
        self._reset()

    def _reset(self) -> None:
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = b""
        self.head = b""
        self.chunks: list[bytes] = []

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.gone.done():
            self.gone.set_result(None)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.transport.write(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            self.transport.close()

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.lower(), value))

    def on_body(self, body: bytes) -> None:
        self.body += body

    def on_message_complete(self) -> None:
        url = httptools.parse_url(self.url)
        path = url.path.decode("latin-1")
        scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
                 "server": ("127.0.0.1", 0), "client": ("127.0.0.1", 0), "scheme": "http",
                 "method": self.parser.get_method().decode(), "root_path": "", "path": path,
                 "raw_path": url.path, "query_string": url.query or b"", "headers": self.headers, "state": {}}
        coro = self.app(scope, self._receive, self._send)
        context = contextvars.copy_context()  # the request's own, as a task would have
        try:
            future = context.run(coro.send, None)
        except StopIteration:
            self._reset()
            return
        self.transport.pause_reading()
        task = asyncio.get_running_loop().create_task(_finish(coro, future), context=context)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task) -> None:
        self._reset()
        if not self.transport.is_closing():
            self.transport.resume_reading()

    async def _receive(self) -> dict:
        if self.body is not None:
            body, self.body = self.body, None
            return {"type": "http.request", "body": body, "more_body": False}
        await self.gone
        return {"type": "http.disconnect"}

    async def _send(self, message: dict) -> None:
        if message["type"] == "http.response.start":
            status = message["status"]
            self.head = b"".join([b"HTTP/1.1 %d %s\r\n" % (status, _REASONS.get(status, b"Status")),
                                  *(b"%s: %s\r\n" % pair for pair in message["headers"])])
            return
        self.chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            body, head = b"".join(self.chunks), self.head
            if b"content-length" not in head.lower():
                head += b"content-length: %d\r\n" % len(body)
            self.transport.write(head + b"\r\n" + body)


async def _serve(port: int, fixed: bool) -> None:
    with tempfile.TemporaryDirectory() as workdir:
        if fixed:
            app, shutdown = floor_app, None
        else:
            hub, key = await _start(None, workdir)
            app, shutdown = hub, hub.shutdown
            settle_heap()  # as the hub's lifespan does after startup under granian
            print(key, flush=True)
        server = await asyncio.get_running_loop().create_server(lambda: _Connection(app), "127.0.0.1", port,
                                                                backlog=1024)
        print("ready", flush=True)
        try:
            await server.serve_forever()
        finally:
            if shutdown:
                await shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--fixed", action="store_true", help="serve bench/floor_app.py: the protocol's floor")
    args = parser.parse_args()
    uvloop.run(_serve(args.port, args.fixed))


if __name__ == "__main__":
    main()
