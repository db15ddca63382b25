"""Failed authentication per source address and per OAuth client, counted with ``limits``.

A *source* is the peer address (``scope["client"]``). ``X-Forwarded-For`` is believed only
when the peer is one of ``trusted_proxies``: the header is read right to left, skipping
trusted proxies, and the first other address is the source (an address a client wrote
itself further left is never reached). An IPv6 source counts by its /64, the block one
subscriber holds, so rotating addresses inside it gains nothing.

Only failures count (a 401 at the edge, ``invalid_client`` at ``/oauth/token``), in a
fixed window (``limits.FixedWindowRateLimiter``). A source past its budget is answered
429 with ``Retry-After`` until the window ends, *before* its credentials are looked at:
no hashing, no database, no signature check, one dict read. While no source is over
its budget the hot path costs a check that the blocked set is empty.

Counters live in this instance's memory (``limits`` ``MemoryStorage``), on purpose: the
limit protects this instance's CPU and database pool, so the count that matters is this
instance's; a shared count would add a Redis round trip to every refused request (the
cost being shed) and would make a Redis outage open or shut the gate. Across N instances
a source gets at most N budgets, which still bounds the work per instance.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from typing import Iterable

from limits import parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import FixedWindowRateLimiter

log = logging.getLogger("commerce_hub.gateway.sources")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_BLOCKED = 100_000


class FailureWindow:
    """Failures per identifier in a fixed window; who is over the budget, and until when."""

    def __init__(self, limit: str, name: str, what: str = "failed authentications") -> None:
        self.item = parse(limit)
        self._name = name
        self._what = what
        self._limiter = FixedWindowRateLimiter(MemoryStorage())
        self._blocked: dict[str, float] = {}  # identifier -> monotonic end of its refusal

    def retry_after(self, identifier: str) -> int | None:
        """Seconds until `identifier` may try again, or None when it may now (no await: a dict read)."""
        if not self._blocked:
            return None
        until = self._blocked.get(identifier)
        if until is None:
            return None
        left = until - time.monotonic()
        if left <= 0:
            del self._blocked[identifier]
            return None
        return max(1, math.ceil(left))

    async def failed(self, identifier: str) -> int | None:
        """Count one failure. The failure that spends the budget blocks the identifier until the
        window ends (so the next attempt is refused unchecked); the seconds to wait are returned
        only when this failure itself was over the budget (concurrent attempts), else None."""
        within = await self._limiter.hit(self.item, self._name, identifier)
        stats = await self._limiter.get_window_stats(self.item, self._name, identifier)
        if within and stats.remaining > 0:
            return None
        wait = max(1.0, stats.reset_time - time.time())
        if len(self._blocked) >= MAX_BLOCKED:  # a flood from countless addresses: forget the oldest half
            for key in list(self._blocked)[: MAX_BLOCKED // 2]:
                del self._blocked[key]
        if identifier not in self._blocked:
            log.warning("%s %s: %s %s spent; refused for %d s", self._name, identifier, self.item, self._what,
                        math.ceil(wait))
        self._blocked[identifier] = time.monotonic() + wait
        return None if within else math.ceil(wait)


class SourceGuard(FailureWindow):
    """The per-source budget shared by the edge and ``/oauth/token``."""

    def __init__(self, limit: str = "60/minute", trusted_proxies: Iterable[str] = (),
                 what: str = "failed authentications") -> None:
        super().__init__(limit, "source", what)
        self._trusted: tuple[Network, ...] = tuple(ipaddress.ip_network(p, strict=False) for p in trusted_proxies)

    def source(self, scope: dict) -> str:
        client = scope.get("client")
        peer = client[0] if client else "unknown"
        if self._trusted and self._is_trusted(peer):
            peer = self._forwarded(scope, peer)
        return _bucket(peer)

    @property
    def blocking(self) -> bool:
        """Whether any source is refused now (or was, until its next look-up clears it)."""
        return bool(self._blocked)

    def refused_for(self, scope: dict) -> int | None:
        """Seconds the request's source must wait, or None; cheap while nobody is blocked."""
        return self.retry_after(self.source(scope)) if self._blocked else None

    async def failed_from(self, scope: dict) -> int | None:
        return await self.failed(self.source(scope))

    def _forwarded(self, scope: dict, peer: str) -> str:
        hops = [h.strip() for n, v in scope["headers"] if n == b"x-forwarded-for"
                for h in v.decode("latin-1").split(",")]
        for hop in reversed(hops):
            if not _is_address(hop):
                break  # garbage in the chain: trust nothing to its left
            peer = hop
            if not self._is_trusted(hop):
                break
        return peer

    def _is_trusted(self, address: str) -> bool:
        try:
            parsed = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(parsed in network for network in self._trusted)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _bucket(address: str) -> str:
    """The counting key: an IPv4 address as is, an IPv6 address by its /64."""
    if ":" not in address:
        return address
    try:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    except ValueError:
        return address
