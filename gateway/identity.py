"""Who is calling, from the request's one credential, for the channel the route serves.

Credential kinds (CONTRACT sections 3, 4, 5, 7): ``api_key`` (``X-API-Key``, checked
against the key store, hashes only), ``oauth`` (a hub-signed token from ``/oauth/token``)
and ``jwt`` (the identity provider's token); the last two as ``Authorization: Bearer``.
Each route names the kinds it accepts (``gateway.route.Route.credentials``); the rules:

- exactly one credential: ``X-API-Key`` and ``Authorization`` together, or either header
  twice, is 401, whichever of them is valid;
- a present but empty ``X-API-Key`` or bearer is 401, never a fall-through to the other;
- ``Authorization`` must be ``Bearer <token>``;
- a kind the route does not accept is 401 before it is checked (no hashing, no JWKS fetch).

Every failure is a 401 (with ``WWW-Authenticate``) and counts against the request's
source address (``gateway.policies.sources``); a source past its budget is answered 429
before its credential is looked at.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Awaitable, Callable, Mapping, Protocol

from gateway.keys.service import KeyService
from gateway.policies.sources import SourceGuard
from shared.errors import RateLimited, Unauthorized
from shared.identity import API_KEY, JWT, OAUTH, Principal

if TYPE_CHECKING:
    from gateway.exchange import Exchange
    from gateway.route import Route

KINDS = frozenset({API_KEY, OAUTH, JWT})
BEARER_KINDS = frozenset({OAUTH, JWT})
TokenVerifier = Callable[[str, frozenset[str]], Awaitable[Principal]]
_CREDENTIAL_HEADERS = (b"x-api-key", b"authorization")


class Authenticator(Protocol):
    async def authenticate(self, scope: dict, accepts: frozenset[str] = KINDS) -> Principal: ...


class CredentialAuthenticator:
    def __init__(self, keys: KeyService, bearer: TokenVerifier | None = None,
                 guard: SourceGuard | None = None) -> None:
        self._keys = keys
        self._bearer = bearer
        self._guard = guard or SourceGuard()

    async def authenticate(self, scope: dict, accepts: frozenset[str] = KINDS) -> Principal:
        wait = self._guard.refused_for(scope)
        if wait is not None:
            raise too_many_failures(wait)
        try:
            return await self._credential(scope, accepts)
        except Unauthorized:
            wait = await self._guard.failed_from(scope)
            if wait is not None:
                raise too_many_failures(wait) from None
            raise

    def known(self, headers: Mapping[bytes, bytes], accepts: frozenset[str]) -> Principal | None:
        """The principal of the request's one ``X-API-Key`` when the key service knows it without
        waiting and no source is being refused; None: ``authenticate`` decides. `headers` hold
        each field once (the lane declines a repeated one)."""
        if self._guard.blocking or API_KEY not in accepts or b"authorization" in headers:
            return None
        raw = headers.get(b"x-api-key")
        value = raw.decode("latin-1").strip() if raw is not None else ""
        return self._keys.known(value) if value else None

    async def _credential(self, scope: dict, accepts: frozenset[str]) -> Principal:
        found = [(name, value) for name, value in scope["headers"] if name in _CREDENTIAL_HEADERS]
        if not found:
            raise Unauthorized("Send an API key in X-API-Key or a bearer token in Authorization.")
        if len(found) > 1:
            raise Unauthorized("Send exactly one credential: X-API-Key or Authorization, once.")
        name, raw = found[0]
        value = raw.decode("latin-1").strip()
        if name == b"x-api-key":
            if not value:
                raise Unauthorized("The X-API-Key header is empty.")
            if API_KEY not in accepts:
                raise Unauthorized("This API does not accept API keys.")
            return await self._keys.authenticate(value)
        scheme, _, token = value.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or self._bearer is None:
            raise Unauthorized("The bearer token is not valid.")
        if not accepts & BEARER_KINDS:
            raise Unauthorized("This API does not accept bearer tokens.")
        principal = await self._bearer(token, accepts)
        if principal.kind not in accepts:  # the verifier refuses these already; never trust one path
            raise Unauthorized("The bearer token is not valid.")
        return principal


class Identity:
    """The identity policy: the route's principal from the one credential, of a kind the route
    accepts. Fails closed: no principal, no answer (401, or 429 for a source past its
    budget); a key store or JWKS that cannot be read fails the request, never admits it."""

    name, fails = "identity", "closed"

    def __init__(self, authenticator: Authenticator) -> None:
        self._auth = authenticator
        self._known = getattr(authenticator, "known", None)

    def applies(self, route: Route | None) -> bool:
        return route is not None and route.authenticated

    def known(self, headers: Mapping[bytes, bytes], accepts: frozenset[str]) -> Principal | None:
        """The hit lane's question (``gateway.lane``): the principal, if known without waiting."""
        return self._known(headers, accepts) if self._known is not None else None

    async def enter(self, exchange: Exchange) -> bool:
        exchange.principal = await self._auth.authenticate(exchange.scope, exchange.route.credentials)  # type: ignore[union-attr]
        return False


def too_many_failures(wait: int) -> RateLimited:
    return RateLimited("Too many failed authentications from this address; retry later.",
                       headers={"Retry-After": str(wait)})
