"""Hub-signed access tokens (OAuth2 client credentials, CONTRACT section 5).

A token is an RFC 9068-style JWT (header ``typ: at+jwt``, ``kid``; ES256 by default):
``iss`` and ``aud`` ``commerce-hub``, ``sub`` and ``client_id`` the API key id, ``scope``,
``iat``, ``nbf``, ``exp`` (default 15 min), ``jti``. Verifying checks the signature with
the kid's stored key in exactly its algorithm, the claims, and then that the API key is
still active (``KeyService.principal_for_key_id``, cached at most 1 s): revoking a key
ends its tokens within a second. The principal's scopes are the token's scopes that the
key still holds.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Callable

import jwt
import msgspec

from gateway.keys.service import KeyService
from gateway.tokens.jose import rejected, signed_header, verified_claims
from gateway.tokens.signing_keys import SigningKeys
from shared.errors import Unauthorized
from shared.identity import Principal

HUB_ISSUER = HUB_AUDIENCE = "commerce-hub"
TOKEN_TYPE = "at+jwt"
MAX_LEEWAY = 60.0


class IssuedToken(msgspec.Struct, kw_only=True):
    """The RFC 6749 section 5.1 success body."""

    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    scope: str


class HubTokens:
    def __init__(self, signing: SigningKeys, keys: KeyService, *, lifetime_seconds: int = 900,
                 leeway: float = 30.0, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        if not 0 <= leeway <= MAX_LEEWAY:
            raise ValueError(f"leeway must be within [0, {MAX_LEEWAY}] seconds")
        self._signing, self._keys = signing, keys
        self._lifetime, self._leeway, self._now = lifetime_seconds, leeway, now

    async def issue(self, principal: Principal, scopes: frozenset[str]) -> IssuedToken:
        """A token for an authenticated API key principal, limited to `scopes` (a subset of its own)."""
        if principal.key_id is None or not scopes <= principal.scopes:
            raise ValueError("tokens are issued only to API keys, for scopes they hold")
        kid, alg, private = await self._signing.signer()
        issued_at = int(self._now().timestamp())
        scope = " ".join(sorted(scopes))
        claims = {
            "iss": HUB_ISSUER, "aud": HUB_AUDIENCE, "sub": principal.key_id, "client_id": principal.key_id,
            "scope": scope, "iat": issued_at, "nbf": issued_at, "exp": issued_at + self._lifetime,
            "jti": secrets.token_urlsafe(16),
        }
        token = jwt.encode(claims, private, algorithm=alg, headers={"kid": kid, "typ": TOKEN_TYPE})
        return IssuedToken(access_token=token, expires_in=self._lifetime, scope=scope)

    async def verify(self, token: str) -> Principal:
        """Bearer token -> Principal(kind="oauth"); anything wrong is the same 401."""
        header = signed_header(token)
        if header.get("typ") != TOKEN_TYPE:
            raise rejected("hub token without typ %s", TOKEN_TYPE)
        key = await self._signing.verification_key(header["kid"])
        claims = verified_claims(token, key, header["alg"], issuer=HUB_ISSUER, audience=HUB_AUDIENCE,
                                 leeway=self._leeway, now=self._now(),
                                 require=("exp", "iat", "iss", "aud", "sub", "jti", "scope"))
        if not isinstance(claims["scope"], str) or not isinstance(claims["sub"], str):
            raise rejected("bad sub or scope claim")
        try:
            key_principal = await self._keys.principal_for_key_id(claims["sub"])
        except Unauthorized:
            raise rejected("key %r no longer active", claims["sub"]) from None
        scopes = frozenset(claims["scope"].split()) & key_principal.scopes
        return msgspec.structs.replace(key_principal, scopes=scopes, kind="oauth")
