"""The hub's HTTP protocol (commerce_hub/server.py) on a real socket: the lane answers only a
whole GET on an idle connection and never out of order; the header timer, the head bound and
parser refusals; keep-alive counting lane answers as activity."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
import uvicorn

from commerce_hub.server import MAX_HEAD_BYTES, HubConfig, HubProtocol

LANE_ANSWER = b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nlane"
BIG_ANSWER = b"HTTP/1.1 200 OK\r\ncontent-length: 65536\r\n\r\n" + b"b" * 65536
HEADER_TIMEOUT, KEEPALIVE = 0.6, 0.5


class App:
    """Answers ``/slow`` once ``release`` is set, anything else at once; its lane answers ``/lane``."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.called: list[str] = []
        self.offered: list[bytes] = []

    def lane(self, data: bytes, defaults: list) -> bytes | None:
        self.offered.append(data.split(b" ")[1])
        if data.startswith(b"GET /big "):
            return BIG_ANSWER
        return LANE_ANSWER if data.startswith(b"GET /lane ") else None

    async def __call__(self, scope: dict, receive, send) -> None:  # noqa: ANN001
        if scope["type"] != "http":
            return
        self.called.append(scope["path"])
        if scope["path"] == "/slow":
            await self.release.wait()
        body = scope["path"].encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"%d" % len(body))]})
        await send({"type": "http.response.body", "body": body})


@pytest.fixture
async def served() -> AsyncIterator[tuple[App, int]]:
    app = App()
    config = HubConfig(app, host="127.0.0.1", port=0, http=HubProtocol, lifespan="off", log_config=None,
                       access_log=False, timeout_keep_alive=KEEPALIVE, header_timeout=HEADER_TIMEOUT, ws="none")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), task
        await asyncio.sleep(0.01)  # polling the server's own flag until it listens
    port = server.servers[0].sockets[0].getsockname()[1]
    app.server = server
    yield app, port
    server.should_exit = True
    app.release.set()
    await asyncio.wait_for(task, 10)


def get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: t\r\n\r\n".encode()


async def read_answers(reader: asyncio.StreamReader, count: int) -> list[bytes]:
    """`count` answers' bodies in arrival order (each carries Content-Length)."""
    bodies = []
    for _ in range(count):
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
        bodies.append(await asyncio.wait_for(reader.readexactly(length), 5))
    return bodies


async def closed_within(reader: asyncio.StreamReader, seconds: float) -> tuple[bytes, float]:
    started = time.monotonic()
    rest = await asyncio.wait_for(reader.read(), seconds)
    return rest, time.monotonic() - started


async def test_the_lane_answers_an_idle_connections_get_without_the_app(served: tuple[App, int]) -> None:
    app, port = served
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for path in ("/lane", "/other", "/lane"):
        writer.write(get(path))
        assert await read_answers(reader, 1) == [path.encode()[1:] if path == "/lane" else path.encode()]
    assert app.called == ["/other"] and app.offered == [b"/lane", b"/other", b"/lane"]
    writer.close()


async def test_a_lane_request_behind_a_busy_one_waits_its_turn(served: tuple[App, int]) -> None:
    app, port = served
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(get("/slow"))
    while app.called != ["/slow"]:
        await asyncio.sleep(0.01)  # polling until the app holds the first request
    writer.write(get("/lane"))
    await writer.drain()
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(reader.read(1), 0.2)  # nothing may overtake /slow
    app.release.set()
    assert await read_answers(reader, 2) == [b"/slow", b"/lane"]
    assert app.offered == [b"/slow"], "the lane was never asked while a request was under way"
    writer.close()


async def test_pipelined_requests_go_to_the_parser_in_order(served: tuple[App, int]) -> None:
    app, port = served
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(get("/lane") + get("/a") + get("/lane"))
    assert await read_answers(reader, 3) == [b"/lane", b"/a", b"/lane"]
    assert app.offered == []
    writer.close()


async def test_a_connection_that_never_finishes_its_head_is_dropped(served: tuple[App, int]) -> None:
    _, port = served
    for sent in (b"", b"GET /a HTTP/1.1\r\nHost: t\r\n"):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(sent)
        rest, seconds = await closed_within(reader, HEADER_TIMEOUT + 3)
        assert rest == b"" and seconds < HEADER_TIMEOUT + 1, (sent, seconds)
        writer.close()


async def test_a_head_past_the_bound_is_431_and_closed(served: tuple[App, int]) -> None:
    app, port = served
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /a HTTP/1.1\r\nHost: t\r\n")
    for i in range(MAX_HEAD_BYTES // 1000 + 2):
        writer.write(b"X-F-%d: %s\r\n" % (i, b"v" * 990))
        await writer.drain()
    rest, _ = await closed_within(reader, 5)
    assert rest.startswith(b"HTTP/1.1 431 ") and b"application/problem+json" in rest and b"connection: close" in rest
    assert app.called == []


async def test_framing_the_parser_refuses_is_a_400_problem_and_closed(served: tuple[App, int]) -> None:
    app, port = served
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
    rest, _ = await closed_within(reader, 5)
    assert rest.startswith(b"HTTP/1.1 400 ") and b'"code":"bad_framing"' in rest
    assert app.called == []


async def test_lane_answers_keep_a_connection_alive_and_idleness_ends_it(served: tuple[App, int]) -> None:
    _, port = served
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(get("/a"))  # the app's answer arms uvicorn's idle timer
    await read_answers(reader, 1)
    ends = time.monotonic() + KEEPALIVE * 3
    while time.monotonic() < ends:  # lane answers spaced under the idle time, for three idle times
        writer.write(get("/lane"))
        assert await read_answers(reader, 1) == [b"lane"]
        await asyncio.sleep(KEEPALIVE / 3)  # the client's own pacing, not a wait for the server
    rest, seconds = await closed_within(reader, KEEPALIVE + 3)
    assert rest == b"" and seconds < KEEPALIVE + 1, seconds


async def test_a_request_behind_an_oversized_head_is_never_answered_in_its_place(served: tuple[App, int]) -> None:
    app, port = served
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    flood = b"".join(b"X-F-%d: %s\r\n" % (i, b"v" * 990) for i in range(MAX_HEAD_BYTES // 1000 + 2))
    writer.write(b"GET /huge HTTP/1.1\r\nHost: t\r\n" + flood + b"\r\n" + get("/after"))
    rest, _ = await closed_within(reader, 5)
    assert rest.startswith(b"HTTP/1.1 431 ") and b"/after" not in rest
    assert app.called == []


async def test_a_body_still_arriving_after_an_early_answer_is_never_taken_for_a_request(
        served: tuple[App, int]) -> None:
    """An answer given before the request's body was read (a 401 on a POST, say) leaves the parser
    inside that body: bytes that look like a GET there are body, not a request for the lane."""
    app, port = served
    smuggled = get("/lane")
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /early HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % len(smuggled))
    assert await read_answers(reader, 1) == [b"/early"]
    writer.write(smuggled)
    await writer.drain()
    for _ in range(5):  # loop turns, no timer: on loopback the server reads the chunk alone in one of them
        await asyncio.sleep(0)
    writer.write(get("/a"))
    assert await read_answers(reader, 1) == [b"/a"]
    assert app.offered == [b"/a"] and app.called == ["/early", "/a"], "the body never reached the lane"


async def test_a_client_that_stops_reading_gets_backpressure_not_an_unbounded_buffer(served: tuple[App, int]) -> None:
    """Past the transport's high-water mark the lane declines, and uvicorn's flow control stops
    reading the connection: the answers a client does not read never pile up in the server."""
    app, port = served
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    sent = 0
    while sent < 400:  # 400 answers of 64 KiB: 25 MiB, far past any socket buffer
        writer.write(get("/big"))
        sent += 1
        try:
            await asyncio.wait_for(writer.drain(), 0.5)
        except asyncio.TimeoutError:
            break  # the server stopped reading: backpressure reached the client
    connection = next(iter(app.server.server_state.connections))
    assert connection.transport.get_write_buffer_size() < 1024 * 1024
    assert app.called and set(app.called) == {"/big"}, "past the mark the requests went to uvicorn's flow control"
    writer.close()
