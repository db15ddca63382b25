"""What one route of the edge declares: where it answers, its target, and what it needs from
the policy chain (``gateway.policies.chain``): an identity and the credential kinds it accepts,
the scope a cached answer needs, the methods it answers."""

from __future__ import annotations

from typing import Awaitable, Callable

import msgspec

from shared.identity import API_KEY

ASGIApp = Callable[[dict, Callable, Callable], Awaitable[None]]
READ_ONLY = ("GET", "HEAD")


class Route(msgspec.Struct, frozen=True):
    prefix: str
    app: ASGIApp
    name: str
    authenticated: bool = True
    """Identity and limits apply (the principal reaches the target); False: neither does."""
    credentials: frozenset[str] = frozenset({API_KEY})
    """The credential kinds this channel accepts (``shared.identity``: api_key, oauth, jwt)."""
    remote: bool = False
    """A remote target gets the principal as a signed header instead of in the scope."""
    cache_scope: str | None = None
    """Cacheable GETs: the scope a principal needs for a cached answer (None: not cached)."""
    methods: tuple[str, ...] = ()
    """The methods the route answers (others: 405 with ``Allow``); empty: the app decides."""
