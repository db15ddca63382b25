"""The order load of ``bench/flows.py``: guest card orders of SKU-1003 offered at a constant
arrival rate, over a few keep-alive HTTP/1.1 connections spoken directly on asyncio streams
(a lean client: the bench's own CPU stays small beside the hub's on a shared machine).

Order ``i`` is due at ``start + i / rate``; a sender that falls behind sends at once (the
arrival times are not stretched to the hub's pace), so a hub that cannot keep up shows it
as client latency and failures, not as a lower offered rate."""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit


def order_body(quantity: int = 1) -> dict:
    price = f"{8.75 * quantity:.2f}"
    return {"currency": "USD", "lines": [{"sku": "SKU-1003", "quantity": quantity, "unit_price": "8.75"}],
            "payment": {"method": "card", "authorization_id": "pay_auth_123", "amount": price}}


_BODY = (b'{"currency": "USD", "lines": [{"sku": "SKU-1003", "quantity": 1, "unit_price": "8.75"}],'
         b' "payment": {"method": "card", "authorization_id": "pay_auth_123", "amount": "8.75"}}')


@dataclass
class Offered:
    sent: int = 0
    ok: int = 0
    failed: int = 0
    latencies: list[float] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return self._pct(0.5)

    @property
    def p99(self) -> float:
        return self._pct(0.99)

    def _pct(self, q: float) -> float:
        values = sorted(self.latencies)
        return values[min(len(values) - 1, int(len(values) * q))] if values else float("nan")


async def offer(base_url: str, key: str, *, rate: float, seconds: float, connections: int) -> Offered:
    url = urlsplit(base_url)
    total = int(rate * seconds)
    start = time.monotonic() + 0.05
    counter = itertools.count()
    result = Offered()
    run = f"{time.time_ns()}"

    async def sender() -> None:
        reader, writer = await asyncio.open_connection(url.hostname, url.port)
        try:
            while (i := next(counter)) < total:
                due = start + i / rate
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                head = (f"POST /v1/storefront/orders HTTP/1.1\r\nHost: {url.netloc}\r\nX-API-Key: {key}\r\n"
                        f"Idempotency-Key: flows-{run}-{i}\r\nContent-Type: application/json\r\n"
                        f"Content-Length: {len(_BODY)}\r\n\r\n").encode()
                writer.write(head + _BODY)
                result.sent += 1
                status = await _response(reader)
                result.latencies.append(time.monotonic() - due)
                if status == 201:
                    result.ok += 1
                else:
                    result.failed += 1
        finally:
            writer.close()

    await asyncio.gather(*(sender() for _ in range(connections)))
    return result


async def _response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status
