"""``POST /hooks/channels/<connection>``: orders in from any channel connection, pure ASGI.

Beside the contract's ``/hooks/shopify`` (``system_apis/inbound.py``), every
connection whose kind has a ``ChannelInbound`` (``system_apis/registry.py``)
takes its platform's order webhooks here, checked with that connection's own
webhook secret (``webhook_secret_env`` / ``webhook_secret_file`` in its
hub.toml table) by its vendor's signature scheme. A bad or missing signature
is 401 and nothing is stored; a connection with no secret refuses every
event. A signed order becomes a ``ChannelOrder`` of the connection's
``channel`` and is written to the outbox (``channel_order.received``) before
the 200, with its delivery id in the idempotency ledger (scope
``hook:channel:<connection>``): a redelivery answers ``duplicate`` and
captures nothing; the capture itself is keyed by channel and order ref too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.asgi import read_body, send_response
from shared.errors import BadRequest, NotFound, Unauthorized
from shared.idempotency import Claim, IdempotencyLedger, fingerprint
from shared.jsonbody import MALFORMED, MalformedJson, check_depth
from shared.messaging.journal import add_ref
from shared.messaging.outbox import enqueue
from shared.models import ChannelOrder
from system_apis.channel.inbound import ChannelInbound
from system_apis.connections import Connection

log = logging.getLogger("commerce_hub.channel_hooks")
PREFIX = "/hooks/channels/"
TOPIC = "channel_order.received"
MAX_BODY = 1024 * 1024
_OK = [(b"content-type", b"application/json")]


class _Hook(NamedTuple):
    channel: str
    secret: str
    inbound: ChannelInbound


def channel_hooks(connections: Iterable[Connection]) -> dict[str, _Hook]:
    """Connection name -> its hook, for every channel connection whose kind reads order webhooks."""
    return {c.name: _Hook(c.serves.channel, c.webhook_secret, c.vendor.inbound) for c in connections
            if c.serves.channel and c.vendor.inbound is not None}  # type: ignore[misc]


class ChannelHooks:
    def __init__(self, connections: Iterable[Connection], engine: AsyncEngine, ledger: IdempotencyLedger,
                 *, channels: Mapping[str, object] | None = None, wake: Callable[[], None] = lambda: None) -> None:
        """``channels``: the channel adapters by channel, for the webhooks that name only an order."""
        self._hooks = channel_hooks(connections)
        self._channels = channels or {}
        self._engine = engine
        self._ledger = ledger
        self._wake = wake

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        """Served behind the edge, which answers any HubError raised here as a problem."""
        name = scope["path"].removeprefix(PREFIX).strip("/")
        hook = self._hooks.get(name)
        if scope["method"] != "POST" or hook is None:
            raise NotFound("No channel hook at this path.")
        body = await read_body(receive, MAX_BODY)
        headers = dict(scope["headers"])
        if not hook.secret or not hook.inbound.verify(hook.secret, body, headers):
            raise Unauthorized("The signature does not match the body.", headers={"WWW-Authenticate": "HMAC-SHA256"})
        try:
            check_depth(body)
            read = hook.inbound.parse(body, headers, hook.channel)
        except (MalformedJson, *MALFORMED) as exc:
            raise BadRequest("Not an order webhook this hub understands.", code="malformed_event") from exc
        if not read.delivery_id or len(read.delivery_id) > 255:
            raise BadRequest("The webhook names no delivery id.", code="malformed_event")
        order = read.order
        if order is None and read.fetch_ref is not None:
            order = await self._fetch(hook.channel, read.fetch_ref)
        status = "ignored" if order is None else await self._accept(name, read.delivery_id, order, body)
        if order is None:
            log.info("channel %s webhook %s (%s) acknowledged, not handled", name, read.delivery_id, read.topic)
        await send_response(send, 200, _OK, msgspec.json.encode({"status": status}))

    async def _fetch(self, channel: str, ref: str) -> ChannelOrder:
        """A thin webhook's order, read from its platform: the platform down is a 503 (the sender
        retries), an order it does not have a 400."""
        lookup = self._channels.get(channel)
        if lookup is None or not hasattr(lookup, "fetch_order"):
            raise NotFound("No channel hook at this path.")
        try:
            return await lookup.fetch_order(ref, channel)
        except NotFound as exc:
            raise BadRequest("The webhook names an order the platform does not have.",
                             code="malformed_event") from exc

    async def _accept(self, name: str, delivery_id: str, order: ChannelOrder, body: bytes) -> str:
        return await accept_order(self._engine, self._ledger, name, delivery_id, order, fingerprint(body),
                                  wake=self._wake)


async def accept_order(engine: AsyncEngine, ledger: IdempotencyLedger, name: str, delivery_id: str,
                       order: ChannelOrder, print_: str, *, wake: Callable[[], None] = lambda: None) -> str:
    """Queue ``order`` for capture unless ``delivery_id`` came from connection ``name`` before:
    ``accepted`` or ``duplicate`` (the ledger entry and the outbox row in one transaction)."""
    ledger_scope = f"hook:channel:{name}"
    async with engine.begin() as conn:
        begun = await ledger.begin_in(conn, ledger_scope, delivery_id, print_)
        if begun.claim is not Claim.NEW:
            return "duplicate"
        await enqueue(conn, TOPIC, order.channel_order_ref, order)
        await add_ref(conn, delivery_id, order.channel_order_ref, f"{name}_webhook")
        await ledger.complete(conn, ledger_scope, delivery_id, 200, b'{"status":"accepted"}')
    wake()
    return "accepted"

def sandbox_hook_paths(connections: Iterable[Connection], taken: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Sandbox backend -> (the hub path its order webhooks go to, the secret signing them): the first
    sandboxed connection of each kind with a ``ChannelInbound``, for backends not in ``taken``."""
    found: dict[str, tuple[str, str]] = {}
    for name, hook in channel_hooks(c for c in connections if c.sandboxed).items():
        backend = next(c.vendor.sandbox.name for c in connections if c.name == name)
        if backend not in taken and backend not in found:
            found[backend] = (f"{PREFIX}{name}", hook.secret)
    return found
