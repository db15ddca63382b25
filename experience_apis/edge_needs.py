"""What an experience API asks of the gateway's edge, declared where its routes are.

- the credential kinds its channel accepts (``experience_app(credentials=...)``;
  ``shared.identity``: api_key, oauth, jwt), API keys unless it says otherwise;
- which answers may be cached: a handler declared with ``opt=CACHEABLE`` whose
  ``requires(scope)`` guard names the scope a caller needs for a cached answer.

The gateway's composition reads these (``edge_needs``) to build its routes, so no
table of paths or channels is kept beside the APIs.
"""

from __future__ import annotations

from typing import Any

import msgspec

from shared.identity import API_KEY

CACHEABLE = {"cacheable": True}
"""A handler's ``opt``: its GET answers may be served from the gateway's cache."""
DEFAULT_CREDENTIALS = frozenset({API_KEY})


class Cacheable(msgspec.Struct, frozen=True):
    prefix: str
    """The handler's path up to its first parameter (``/v1/storefront/products/``)."""
    scope: str
    """The scope a principal needs for a cached answer (the handler's ``requires``)."""


class EdgeNeeds(msgspec.Struct, frozen=True):
    credentials: frozenset[str]
    cacheable: tuple[Cacheable, ...] = ()


def edge_needs(app: Any) -> EdgeNeeds:
    """What `app` (an experience app, or a wrapper that passes attribute reads through)
    declares for the edge."""
    cacheable = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if not handler.opt.get("cacheable"):
                continue
            scopes = [s for guard in handler.guards or () for s in getattr(guard, "scopes", ())]
            if not scopes or "GET" not in handler.http_methods:
                raise ValueError(f"{route.path}: a cacheable handler is a GET with a requires(scope) guard")
            cacheable.append(Cacheable(prefix=route.path.split("{", 1)[0], scope=scopes[0]))
    return EdgeNeeds(credentials=getattr(app.state, "credentials", DEFAULT_CREDENTIALS), cacheable=tuple(cacheable))
