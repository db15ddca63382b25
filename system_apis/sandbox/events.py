"""Announcements: each backend's outbox and the signed delivery of its events.

An ``Announcer`` per backend appends every event to its outbox (read through
``GET /sandbox/{backend}/events``) and, when the backend has a URL, hands the
raw JSON body to the shared ``EventDelivery``. Delivery runs in a background
task (fire and forget, up to three attempts) so it never blocks the control
call that caused the event; the body is signed
``X-Signature: sha256=<hex HMAC-SHA256(secret, body)>``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import uuid
from typing import Any

import httpx
import msgspec

logger = logging.getLogger(__name__)

RETRY_DELAYS: tuple[float, ...] = (0.2, 0.5)


def sign(secret: str, body: bytes) -> str:
    """The ``X-Signature`` value of ``body``: ``sha256=<hex digest>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def new_event_id(backend: str) -> str:
    """A unique event id in the backend's style, e.g. ``wms-evt-<uuid4 hex>``."""
    return f"{backend}-evt-{uuid.uuid4().hex}"


class EventDelivery:
    """POSTs signed event bodies from background tasks over one lazy HTTP client.

    ``transport`` is the seam for tests and for in-process delivery; the client
    is created on first use, so the app works without its lifespan having run.
    """

    def __init__(self, timeout_seconds: float, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._timeout = timeout_seconds
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._pending: set[asyncio.Task[None]] = set()

    def send(self, url: str, secret: str, body: bytes) -> None:
        """Schedule the delivery of ``body`` to ``url`` and return at once."""
        task = asyncio.get_running_loop().create_task(self._deliver(url, secret, body))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _deliver(self, url: str, secret: str, body: bytes) -> None:
        headers = {"Content-Type": "application/json", "X-Signature": sign(secret, body)}
        for delay in (*RETRY_DELAYS, None):
            try:
                response = await self._http().post(url, content=body, headers=headers)
                if response.is_success:
                    return
                failure = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                failure = repr(exc)
            if delay is None:
                logger.warning("sandbox event to %s not delivered: %s", url, failure)
                return
            await asyncio.sleep(delay)

    @property
    def client_open(self) -> bool:
        """Whether the HTTP client exists (it is made by the first delivery)."""
        return self._client is not None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(transport=self._transport, timeout=self._timeout)
        return self._client

    async def drain(self) -> None:
        """Wait until every delivery scheduled so far has finished."""
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
        self._url = url
        self._secret = secret
        self.outbox: list[Any] = []

    def announce(self, event: msgspec.Struct) -> None:
        """Keep ``event`` in the outbox and send it if the backend has a URL."""
        self.outbox.append(event)
        if self._url:
            self._delivery.send(self._url, self._secret, msgspec.json.encode(event))

    def clear(self) -> None:
        self.outbox.clear()
