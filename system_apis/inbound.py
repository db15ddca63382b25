"""Inbound backend events: ``POST /hooks/wms``, ``/hooks/pos``, ``/hooks/erp`` (pure ASGI).

Each backend signs its raw body, ``X-Signature: sha256=<hex HMAC-SHA256>``
with its webhook secret. A bad or missing signature is 401 and nothing is
done. A signed event is mapped from the vendor's shape to a canonical
``CatalogChanged`` and published on the bus (topic ``catalog.changed``), so
the response cache of every instance drops that SKU's answers. Answers are
immediate (200 ``{"status": "accepted"}``); the work is a broadcast.
Shipment confirmations and sequenced inventory sync come with the order issue.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Callable

import msgspec

from shared.bus import Bus, CatalogChanged
from shared.asgi import read_body, send_response
from shared.errors import BadRequest, NotFound, Unauthorized

log = logging.getLogger("commerce_hub.inbound")
CATALOG_TOPIC = "catalog.changed"
MAX_BODY = 256 * 1024


class _WmsPayload(msgspec.Struct):
    item_code: str


class _WmsEvent(msgspec.Struct):
    event_type: str
    payload: _WmsPayload


class _PosEvent(msgspec.Struct, rename="camel"):
    type: str
    product_sku: str


class _ErpRecord(msgspec.Struct, rename="camel"):
    item_id: str


class _ErpEvent(msgspec.Struct, rename="camel"):
    event_type: str
    record: _ErpRecord


def _wms(body: bytes) -> str:
    return msgspec.json.decode(body, type=_WmsEvent).payload.item_code


def _pos(body: bytes) -> str:
    return msgspec.json.decode(body, type=_PosEvent).product_sku


def _erp(body: bytes) -> str:
    return msgspec.json.decode(body, type=_ErpEvent).record.item_id


_SKU_OF: dict[str, Callable[[bytes], str]] = {"wms": _wms, "pos": _pos, "erp": _erp}


def signature_ok(secret: str, body: bytes, header: bytes | None) -> bool:
    if not header or not header.startswith(b"sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest().encode()
    return hmac.compare_digest(header[7:].strip(), expected)


class InboundHooks:
    def __init__(self, secrets: dict[str, str], bus: Bus) -> None:
        self._secrets = secrets
        self._bus = bus

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        """Served behind the edge, which answers any HubError raised here as a problem."""
        await self._handle(scope, receive)
        await send_response(send, 200, [(b"content-type", b"application/json")], b'{"status":"accepted"}')

    async def _handle(self, scope: dict, receive: Callable) -> None:
        backend = scope["path"].removeprefix("/hooks/").strip("/")
        if scope["method"] != "POST" or backend not in _SKU_OF or backend not in self._secrets:
            raise NotFound("No hook at this path.")
        body = await read_body(receive, MAX_BODY)
        signature = next((v for k, v in scope["headers"] if k == b"x-signature"), None)
        if not signature_ok(self._secrets[backend], body, signature):
            raise Unauthorized("The signature does not match the body.", headers={"WWW-Authenticate": "HMAC-SHA256"})
        try:
            sku = _SKU_OF[backend](body)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise BadRequest(f"Not a {backend.upper()} event this hub understands.", code="malformed_event") from exc
        log.debug("inbound %s event for %s", backend, sku)
        await self._bus.publish(CATALOG_TOPIC, CatalogChanged(sku=sku, reason=f"{backend}-event"))

