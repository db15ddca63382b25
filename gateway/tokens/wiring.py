"""Builds the token stack for a gateway role: the bearer verifier for the edge, the OAuth
ASGI app for ``/oauth/token`` and ``/.well-known/jwks.json``, and the signing keys (for
``rotate()``). Called once from the composition root, inside the lifespan."""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlsplit

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.keys.service import KeyService
from gateway.policies.sources import SourceGuard
from gateway.tokens.hub_tokens import HUB_ISSUER, HubTokens
from gateway.tokens.idp import IdpVerifier
from gateway.tokens.oauth import OAuthApp
from gateway.tokens.signing_keys import SigningKeyRepository, SigningKeys
from gateway.tokens.verifier import BearerVerifier
from shared.settings import Settings, SettingsError


class TokenStack(NamedTuple):
    verifier: BearerVerifier
    oauth_app: OAuthApp
    signing: SigningKeys
    guard: SourceGuard
    """Failed authentications per source, shared by the edge and /oauth/token."""


async def build_token_stack(settings: Settings, engine: AsyncEngine, keys: KeyService, http: httpx.AsyncClient,
                            *, lifetime_seconds: int = 900, leeway: float = 30.0) -> TokenStack:
    """Make sure a signing key exists, then wire hub tokens and, when configured, the IdP."""
    signing = SigningKeys(SigningKeyRepository(engine), max_token_seconds=lifetime_seconds)
    await signing.ensure()
    tokens = HubTokens(signing, keys, lifetime_seconds=lifetime_seconds, leeway=leeway)
    guard = SourceGuard(settings.auth_failures_per_source, settings.trusted_proxies)
    oauth = OAuthApp(tokens, keys, signing, guard=guard, client_failures=settings.oauth_failures_per_client)
    return TokenStack(BearerVerifier(tokens, _idp(settings, http, leeway)), oauth, signing, guard)


def _idp(settings: Settings, http: httpx.AsyncClient, leeway: float) -> IdpVerifier | None:
    issuer, audience, url = settings.jwt_issuer, settings.jwt_audience, settings.jwt_jwks_url
    if not (issuer or audience or url):
        return None
    for name, value in (("ISSUER", issuer), ("AUDIENCE", audience), ("JWKS_URL", url)):
        if not value:
            raise SettingsError(f"HUB_JWT_{name}: required when any HUB_JWT_* setting is set")
    if issuer == HUB_ISSUER:
        raise SettingsError(f"HUB_JWT_ISSUER: {HUB_ISSUER!r} is the hub's own issuer")
    if not settings.sandbox and urlsplit(url).scheme != "https":
        raise SettingsError("HUB_JWT_JWKS_URL: must be https when HUB_SANDBOX=0")
    return IdpVerifier.over_http(http, url, issuer=issuer, audience=audience, plan=settings.default_plan,
                                 leeway=leeway)
