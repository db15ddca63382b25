"""The one bearer verifier the edge calls (``gateway.identity.TokenVerifier``).

It peeks at the unverified ``iss`` only to choose a verifier: ``commerce-hub`` goes to the
hub's own tokens, anything else to the identity provider when one is configured, else 401.
The chosen verifier then checks everything itself, so a forged ``iss`` gains nothing: a
token routed to the wrong verifier meets keys that never signed it. A token of a kind the
route does not accept (``accepts``: ``oauth``, ``jwt``) is refused before any key is
looked up, so an identity-provider token on a partner route costs no JWKS fetch.
"""

from __future__ import annotations

from gateway.identity import JWT, KINDS, OAUTH
from gateway.tokens.hub_tokens import HUB_ISSUER, HubTokens
from gateway.tokens.idp import IdpVerifier
from gateway.tokens.jose import rejected, unverified_payload
from shared.identity import Principal


class BearerVerifier:
    def __init__(self, hub: HubTokens, idp: IdpVerifier | None = None) -> None:
        self._hub, self._idp = hub, idp

    async def __call__(self, token: str, accepts: frozenset[str] = KINDS) -> Principal:
        if unverified_payload(token).get("iss") == HUB_ISSUER:
            if OAUTH not in accepts:
                raise rejected("a hub token where only %s is accepted", sorted(accepts))
            return await self._hub.verify(token)
        if JWT not in accepts:
            raise rejected("an identity-provider token where only %s is accepted", sorted(accepts))
        if self._idp is None:
            raise rejected("not a hub token and no identity provider is configured")
        return await self._idp(token)
