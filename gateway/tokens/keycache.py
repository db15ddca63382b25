"""A cached set of verification keys by ``kid``, refreshed on expiry or on an unknown kid.

Used for the identity provider's JWKS (over HTTP) and for the hub's own signing
keys (from the database). The policy is the same for both:

- the set lives for the ``ttl`` its loader returns, then the next caller reloads;
- a ``kid`` not in the set triggers a reload, so a key rotated in elsewhere is found;
- reloads are rate limited (at most one per ``min_interval`` seconds, so random
  kids cannot turn every request into a fetch) and coalesced (concurrent callers
  await the one load in flight). An unknown kid met inside the interval is refused
  at once, or, with ``wait=True`` (a short interval, e.g. the database's 1 s), waits
  for the next allowed reload: a key rotated in on another instance a moment after
  our last reload is then found instead of refused;
- a failed load (``KeySourceError``) keeps the last good set: fail-static, so an
  identity provider outage does not log every mobile user out.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Awaitable, Callable, Generic, TypeVar

log = logging.getLogger("commerce_hub.gateway.tokens")
T = TypeVar("T")
Loader = Callable[[], Awaitable[tuple[dict[str, T], float]]]


class KeySourceError(Exception):
    """The key source failed (unreachable, bad answer); the last good keys stay in use."""


class KeyCache(Generic[T]):
    def __init__(self, load: Loader[T], *, min_interval: float, name: str, wait: bool = False,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._load = load
        self._min_interval = min_interval
        self._wait = wait
        self._name = name
        self._clock = clock
        self._keys: dict[str, T] = {}
        self._expires = float("-inf")
        self._attempted = float("-inf")
        self._inflight: asyncio.Future[None] | None = None

    async def all(self) -> dict[str, T]:
        """The current set, reloaded first when it has expired (and a reload is allowed)."""
        if self._clock() >= self._expires:
            await self._refresh()
        return self._keys

    async def get(self, kid: str) -> T | None:
        """The key named `kid`, reloading once (rate limited) when it is unknown."""
        keys = await self.all()
        if kid not in keys:
            await self._refresh(wait=self._wait)
        return self._keys.get(kid)

    def invalidate(self) -> None:
        """Forget the freshness and the rate limit: the next call reloads (after a local change)."""
        self._expires = self._attempted = float("-inf")

    async def _refresh(self, wait: bool = False) -> None:
        pause = self._attempted + self._min_interval - self._clock()
        if self._inflight is None and pause > 0:
            if not wait:
                return
            attempted = self._attempted
            await asyncio.sleep(pause)
            if self._attempted != attempted:  # another caller reloaded meanwhile: that answer will do
                if self._inflight is not None:
                    await asyncio.shield(self._inflight)
                return
        if self._inflight is None:
            self._attempted = self._clock()
            self._inflight = asyncio.ensure_future(self._reload())
        await asyncio.shield(self._inflight)

    async def _reload(self) -> None:
        try:
            keys, ttl = await self._load()
        except KeySourceError as exc:
            log.warning("%s: reload failed, keeping %d known keys: %s", self._name, len(self._keys), exc)
        else:
            self._keys, self._expires = keys, self._clock() + ttl
        finally:
            self._inflight = None
