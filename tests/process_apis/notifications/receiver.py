"""A partner's webhook receiver for tests and the benchmark: a small HTTP/1.1 server on
127.0.0.1 that records every request and answers ``status`` (keep-alive, Content-Length
bodies). ``hold`` (an unset Event) makes it wait before answering: a delivery in flight."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    status: int = 200
    received: list[Received] = field(default_factory=list)
    """Requests answered."""
    arrived: list[Received] = field(default_factory=list)
    """Requests read, answered or not yet (``hold``)."""
    hold: asyncio.Event | None = None
    record: bool = True
    count: int = 0
    _server: asyncio.AbstractServer | None = None

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    def bodies(self, type_: str | None = None) -> list[Received]:
        import json

        return [r for r in self.received if type_ is None or json.loads(r.body)["type"] == type_]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                headers = {k.strip().lower(): v.strip() for k, v in
                           (line.split(":", 1) for line in lines[1:] if ":" in line)}
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                if self.record:
                    self.arrived.append(Received(path, headers, body))
                if self.hold is not None and not self.hold.is_set():
                    await self.hold.wait()
                status = self.status
                self.count += 1
                if self.record:
                    self.received.append(Received(path, headers, body))
                writer.write(f"HTTP/1.1 {status} X\r\nContent-Length: 0\r\n\r\n".encode())
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()
