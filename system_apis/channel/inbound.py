"""Orders in from a channel platform: how a kind verifies and reads its vendor's order webhook.

A channel kind in ``system_apis/registry.py`` may name a ``ChannelInbound``:
its vendor's signature scheme (``verify``) and its order body mapped to the
canonical ``ChannelOrder`` (``parse``). ``system_apis/channel/hooks.py``
serves it at ``POST /hooks/channels/<connection>`` with that connection's own
webhook secret, the order's channel being the connection's ``channel``.
Pure functions, no I/O: ``parse`` raises ``msgspec.DecodeError`` (the caller
answers 400).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import msgspec

from shared.models import ChannelOrder

Headers = Mapping[bytes, bytes]


class InboundOrder(msgspec.Struct, frozen=True, kw_only=True):
    """One webhook read: the id that makes a redelivery a duplicate, and the order (``None``: a topic
    the hub acknowledges and does not handle)."""

    delivery_id: str
    order: ChannelOrder | None
    topic: str = ""
    fetch_ref: str | None = None
    """A thin webhook (BigCommerce's holds only the order id): the order to read from the platform
    (the connection's adapter, a ``ChannelOrderLookup``) before it is queued."""


@dataclass(frozen=True, kw_only=True)
class ChannelInbound:
    verify: Callable[[str, bytes, Headers], bool]
    """Whether the headers carry the vendor's signature of the raw body under the secret (constant time)."""
    parse: Callable[[bytes, Headers, str], InboundOrder]
    """The body and headers read for the channel named (the connection's ``channel``)."""
    sandbox_secret: str
    """The secret of a sandboxed connection that names none (HUB_SANDBOX=1 only)."""


def header_text(headers: Headers, name: bytes) -> str:
    """A header's value as text; "" when absent or not ASCII (a parser then refuses it)."""
    try:
        return headers.get(name, b"").decode("ascii").strip()
    except UnicodeDecodeError:
        return ""
