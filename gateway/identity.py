"""Who is calling, from the request's credentials.

``X-API-Key`` is checked against the key store (hashes only). A bearer token
is handed to the token verifiers (hub-signed OAuth tokens, identity-provider
JWTs) when they are configured; until then it is refused like any bad
credential. Every failure is the same 401, so nothing tells a caller which
part was wrong.
"""

from __future__ import annotations

from typing import Awaitable, Callable, Protocol

from gateway.keys.service import KeyService
from shared.errors import Unauthorized
from shared.identity import Principal

TokenVerifier = Callable[[str], Awaitable[Principal]]


class Authenticator(Protocol):
    async def authenticate(self, scope: dict) -> Principal: ...


class CredentialAuthenticator:
    def __init__(self, keys: KeyService, bearer: TokenVerifier | None = None) -> None:
        self._keys = keys
        self._bearer = bearer

    async def authenticate(self, scope: dict) -> Principal:
        headers = scope.get("hub.headers")  # the edge's one pass over the headers
        if headers is None:
            headers = dict(scope["headers"])
        api_key = headers.get(b"x-api-key", b"").decode("latin-1").strip()
        if api_key:
            return await self._keys.authenticate(api_key)
        authorization = headers.get(b"authorization", b"").decode("latin-1").strip()
        if authorization:
            kind, _, token = authorization.partition(" ")
            if kind.lower() == "bearer" and token.strip() and self._bearer is not None:
                return await self._bearer(token.strip())
            raise Unauthorized("The bearer token is not valid.")
        raise Unauthorized("Send an API key in X-API-Key or a bearer token in Authorization.")
