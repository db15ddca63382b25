"""Inbound backend events and channel webhooks (CONTRACT section 6), pure ASGI.

    POST /hooks/wms      X-Signature: sha256=<hex HMAC>   stock, shipments, return receipts
    POST /hooks/pos      X-Signature: sha256=<hex HMAC>   store stock
    POST /hooks/erp      X-Signature: sha256=<hex HMAC>   item, customer and contract-price changes
    POST /hooks/shopify  X-Shopify-Hmac-Sha256: <base64 HMAC>   orders/create

A bad or missing signature is 401 and nothing is stored; a hook whose secret
is empty refuses every event (anyone can compute an HMAC under the empty key).
A signed event is mapped from the vendor's shape to a canonical one (``system_apis/<backend>/
events.py``); the WMS and the POS may also deliver a batch, ``{"events": [...]}`` of up to 500
(``system_apis.deliveries``), taken whole or not at all (a bad member: 400 naming its index).
What must not be lost (stock reports, shipments, receipts,
channel orders) is written to the outbox before the 200 (the backend events of
concurrent requests in one INSERT: a group commit), and a worker does the work; the stock
reports of one delivery are one message (``stock.changed``, or ``stock.changed.batch`` when
there are several: one outbox row, one stream entry, applied together);
an ERP item change is also broadcast at once (``catalog.changed``) so every
instance's response cache drops that SKU. A stock report is not: answers read the
hub's stock book, which the report has not reached yet; the inventory sync drops
the SKU's answers once the report is applied. An ERP announcement
(``erp.record_changed``) is written to the outbox too: a worker reads the record
and updates the hub's ERP replica (``process_apis/catalog``). A Shopify webhook id seen
before answers 200 and does nothing (the idempotency ledger, scope
``hook:shopify``), so a redelivery never captures an order twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from secrets import token_hex
from typing import Any, Callable

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.asgi import read_body, send_response
from shared.batching import GroupCommit
from shared.bus import Bus, CatalogChanged
from shared.errors import BadRequest, NotFound, Unauthorized
from shared.idempotency import Claim, IdempotencyLedger, fingerprint
from shared.jsonbody import MALFORMED, MalformedJson, check_depth
from shared.messaging.journal import add_ref
from shared.messaging.outbox import enqueue, enqueue_many
from shared.models import ChannelOrder, ErpRecordChanged, ReturnReceived, ShipmentConfirmed, StockChanged, StockChanges
from system_apis.erp.events import parse_erp_event
from system_apis.pos.events import parse_pos_delivery
from system_apis.shopify.webhooks import parse_order, verify_shopify_hmac
from system_apis.wms.events import parse_wms_delivery

log = logging.getLogger("commerce_hub.inbound")
CATALOG_TOPIC = "catalog.changed"
MAX_BODY = 1024 * 1024
_OK = [(b"content-type", b"application/json")]
TOPICS = {StockChanged: "stock.changed", StockChanges: "stock.changed.batch", ShipmentConfirmed: "shipment.confirmed",
          ReturnReceived: "return.received", ChannelOrder: "channel_order.received",
          ErpRecordChanged: "erp.record_changed"}
_PARSERS: dict[str, Callable[[bytes], list]] = {"wms": parse_wms_delivery, "pos": parse_pos_delivery,
                                                "erp": lambda body: [parse_erp_event(body)]}
Row = tuple[str, str, Any]
"""An outbox row to write: (topic, key, payload)."""


def signature_ok(secret: str, body: bytes, header: bytes | None) -> bool:
    """Whether ``header`` is ``sha256=<hex HMAC>`` of ``body`` (constant time); never under an empty
    secret, whose HMAC anyone can compute."""
    if not secret or not header or not header.startswith(b"sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest().encode()
    return hmac.compare_digest(header[7:].strip(), expected)


class InboundHooks:
    def __init__(self, secrets: dict[str, str], bus: Bus, engine: AsyncEngine, ledger: IdempotencyLedger,
                 *, wake: Callable[[], None] = lambda: None) -> None:
        self._secrets = secrets
        self._bus = bus
        self._engine = engine
        self._ledger = ledger
        self._wake = wake
        self._accept = GroupCommit(self._store, parallel=2)

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        """Served behind the edge, which answers any HubError raised here as a problem."""
        source = scope["path"].removeprefix("/hooks/").strip("/")
        if scope["method"] != "POST" or source not in self._secrets or (source not in _PARSERS and source != "shopify"):
            raise NotFound("No hook at this path.")
        body = await read_body(receive, MAX_BODY)
        headers = dict(scope["headers"])
        if source == "shopify":
            status = await self._shopify(body, headers)
        else:
            status = await self._backend(source, body, headers.get(b"x-signature"))
        await send_response(send, 200, _OK, msgspec.json.encode({"status": status}))

    async def _backend(self, source: str, body: bytes, signature: bytes | None) -> str:
        if not signature_ok(self._secrets[source], body, signature):
            raise Unauthorized("The signature does not match the body.", headers={"WWW-Authenticate": "HMAC-SHA256"})
        try:
            check_depth(body)
            events = _PARSERS[source](body)
        except (MalformedJson, *MALFORMED) as exc:
            raise BadRequest(f"Not a {source.upper()} event this hub understands.", code="malformed_event") from exc
        await self._accept.submit((source, _rows(source, events)))
        return "accepted"

    async def _store(self, accepted: list[tuple[str, list[Row]]]) -> list[None]:
        """The events of the requests waiting, in one outbox INSERT; then one ``catalog.changed``
        per SKU whose ERP item record they report."""
        async with self._engine.begin() as conn:
            await enqueue_many(conn, [row for _, rows in accepted for row in rows])
        self._wake()
        priced = {sku: source for source, rows in accepted for _, _, event in rows
                  if (sku := _priced_sku(event)) is not None}
        await asyncio.gather(*(self._bus.publish(CATALOG_TOPIC, CatalogChanged(sku=sku, reason=f"{source}-event"))
                               for sku, source in priced.items()))
        return [None] * len(accepted)

    async def _shopify(self, body: bytes, headers: dict[bytes, bytes]) -> str:
        secret = self._secrets["shopify"]
        if not secret or not verify_shopify_hmac(secret, body, headers.get(b"x-shopify-hmac-sha256")):
            raise Unauthorized("The Shopify HMAC does not match the body.",
                               headers={"WWW-Authenticate": "HMAC-SHA256"})
        topic = _text(headers, b"x-shopify-topic")
        webhook_id = _text(headers, b"x-shopify-webhook-id")
        if not webhook_id or len(webhook_id) > 255:
            raise BadRequest("X-Shopify-Webhook-Id is required.", code="malformed_event")
        if topic != "orders/create":
            log.info("shopify webhook %s (%s) acknowledged, not handled", webhook_id, topic)
            return "ignored"
        shop = _text(headers, b"x-shopify-shop-domain") or None
        try:
            check_depth(body)
            order = parse_order(body, shop)
        except (MalformedJson, *MALFORMED) as exc:
            raise BadRequest("Not a Shopify order this hub understands.", code="malformed_event") from exc
        async with self._engine.begin() as conn:
            begun = await self._ledger.begin_in(conn, "hook:shopify", webhook_id, fingerprint(body))
            if begun.claim is not Claim.NEW:
                return "duplicate"
            await enqueue(conn, TOPICS[ChannelOrder], order.channel_order_ref, order)
            await add_ref(conn, webhook_id, order.channel_order_ref, "shopify_webhook")  # journeys find it by this id
            await self._ledger.complete(conn, "hook:shopify", webhook_id, 200, b'{"status":"accepted"}')
        self._wake()
        return "accepted"


def _rows(source: str, events: list) -> list[Row]:
    """The outbox rows of one delivery: its stock reports as one message (each marked with the
    source that reports it: the book counts a location by it), every other event a row of its own.
    A single report keeps its SKU as key, exactly as a one-event delivery."""
    stock = [msgspec.structs.replace(e, source=source) for e in events if isinstance(e, StockChanged)]
    rows: list[Row] = [(TOPICS[type(e)], _key(e), e) for e in events if not isinstance(e, StockChanged)]
    if len(stock) == 1:
        rows.append((TOPICS[StockChanged], stock[0].sku, stock[0]))
    elif stock:
        # a key of its own: messages of one key never run at once, and a batch has no one SKU (the
        # sequence rule orders its reports, whatever runs beside it)
        rows.append((TOPICS[StockChanges], f"{source}-batch-{token_hex(6)}", StockChanges(changes=tuple(stock))))
    return rows


def _key(event: object) -> str:
    return getattr(event, "order_id", None) or getattr(event, "rma_id", None) or getattr(event, "key", "")


def _priced_sku(event: object) -> str | None:
    """The SKU whose item record (list price) the event changes, if it names one."""
    if isinstance(event, ErpRecordChanged) and event.kind == "item":
        return event.key
    return None


def _text(headers: dict[bytes, bytes], name: bytes) -> str:
    """A header's value as text ("" when absent); not ASCII: 400 (a sender's bug, never a 500)."""
    try:
        return headers.get(name, b"").decode("ascii")
    except UnicodeDecodeError:
        raise BadRequest(f"The {name.decode()} header is not ASCII.", code="malformed_event") from None
