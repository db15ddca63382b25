"""Announcements: each backend's outbox and the delivery of its events.

An ``Announcer`` per backend appends every event to its outbox (read through
``GET /sandbox/{backend}/events``) and, when the backend has a URL, hands the
raw JSON body to the shared ``EventDelivery``. Delivery runs in a background
task so it never blocks the control call that caused the event.

Signing: ``announce`` signs ``X-Signature: sha256=<hex HMAC-SHA256(secret,
body)>`` (WMS, POS, ERP); a backend with its own scheme (Shopify) builds its
headers and calls ``deliver``.

Retries (``DeliveryRetry``): a delivery that fails (network error, timeout or
any non-2xx answer) is tried again after 0.2 s, then twice as long each time
up to 30 s apart, for as long as the waits add up to at most 120 s (about 11
attempts in two minutes), so a hub that is briefly down still gets its
shipment confirmations. Then it is given up, logged and counted in
``EventDelivery.abandoned``. The event stays in the outbox either way.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import msgspec

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[object]]


class DeliveryRetry(msgspec.Struct, frozen=True, kw_only=True):
    """How a failed event delivery is tried again: capped exponential backoff within a budget.

    Attributes:
        first_delay_seconds: wait before the second attempt.
        max_delay_seconds: no wait is longer than this.
        multiplier: growth of the wait per attempt.
        budget_seconds: retries stop once the waits would add up to more than this.
    """

    first_delay_seconds: float = 0.2
    max_delay_seconds: float = 30.0
    multiplier: float = 2.0
    budget_seconds: float = 120.0

    def delays(self) -> Iterator[float]:
        """The waits between attempts, in order: 0.2, 0.4, 0.8, ... capped, within the budget."""
        delay, spent = self.first_delay_seconds, 0.0
        while spent + delay <= self.budget_seconds:
            yield delay
            spent += delay
            delay = min(delay * self.multiplier, self.max_delay_seconds)


def sign(secret: str, body: bytes) -> str:
    """The ``X-Signature`` value of ``body``: ``sha256=<hex digest>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def new_event_id(backend: str) -> str:
    """A unique event id in the backend's style, e.g. ``wms-evt-<uuid4 hex>``."""
    return f"{backend}-evt-{uuid.uuid4().hex}"


class EventDelivery:
    """POSTs event bodies from background tasks over one lazy HTTP client, retrying with backoff.

    ``transport`` is the seam for tests and for in-process delivery, ``sleep``
    the one for the waits between attempts; the client is created on first
    use, so the app works without its lifespan having run.
    """

    def __init__(
        self,
        timeout_seconds: float,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        retry: DeliveryRetry | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._timeout = timeout_seconds
        self._transport = transport
        self._retry = retry or DeliveryRetry()
        self._sleep = sleep
        self._client: httpx.AsyncClient | None = None
        self._pending: set[asyncio.Task[None]] = set()
        self.abandoned = 0
        """Deliveries given up after the whole retry budget."""

    def send(self, url: str, body: bytes, headers: dict[str, str]) -> None:
        """Schedule the delivery of ``body`` with ``headers`` to ``url`` and return at once."""
        task = asyncio.get_running_loop().create_task(self._deliver(url, body, headers))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _deliver(self, url: str, body: bytes, headers: dict[str, str]) -> None:
        delays = self._retry.delays()
        while True:
            try:
                response = await self._http().post(url, content=body, headers=headers)
                if response.is_success:
                    return
                failure = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                failure = repr(exc)
            delay = next(delays, None)
            if delay is None:
                self.abandoned += 1
                logger.warning("sandbox event to %s not delivered, retries exhausted: %s", url, failure)
                return
            await self._sleep(delay)

    @property
    def client_open(self) -> bool:
        """Whether the HTTP client exists (it is made by the first delivery)."""
        return self._client is not None

    @property
    def pending(self) -> int:
        """Deliveries still running (retrying included)."""
        return len(self._pending)

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(transport=self._transport, timeout=self._timeout)
        return self._client

    async def drain(self) -> None:
        """Wait until every delivery scheduled so far (and any scheduled meanwhile) has finished."""
        while self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    async def aclose(self) -> None:
        """Cancel deliveries still pending and close the client."""
        for task in list(self._pending):
            task.cancel()
        await asyncio.gather(*self._pending, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None


class Announcer:
    """One backend's announcements: its outbox, and delivery when it has a URL."""

    def __init__(self, backend: str, delivery: EventDelivery, url: str | None, secret: str) -> None:
        self.backend = backend
        self._delivery = delivery
        self.url = url
        self.secret = secret
        self.outbox: list[Any] = []

    def announce(self, event: msgspec.Struct) -> None:
        """Keep ``event`` in the outbox and send it, signed ``X-Signature``, if the backend has a URL."""
        self.outbox.append(event)
        body = msgspec.json.encode(event)
        self.deliver(body, {"X-Signature": sign(self.secret, body)})

    def deliver(self, body: bytes, headers: dict[str, str]) -> None:
        """Send ``body`` as JSON with ``headers`` if the backend has a URL (no outbox entry)."""
        if self.url:
            self._delivery.send(self.url, body, {"Content-Type": "application/json", **headers})

    def clear(self) -> None:
        self.outbox.clear()
