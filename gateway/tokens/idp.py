"""Identity-provider JWTs (mobile apps, CONTRACT section 4), verified against the provider's JWKS.

RS256 or ES256 only; ``iss``, ``aud``, ``exp``, ``nbf`` and ``sub`` required, times checked
with at most 60 s leeway. The JWKS is fetched with the shared httpx client in a span
``idp.fetch_jwks``, cached for its ``Cache-Control: max-age`` (clamped to [60 s, 1 h],
5 min when absent) and refetched on an unknown ``kid`` at most once per 10 s.
"""

from __future__ import annotations

from typing import Any

import httpx
import msgspec
from opentelemetry import trace

from gateway.tokens.jose import VerificationKey, key_from_jwk, rejected, signed_header, verified_claims
from gateway.tokens.keycache import KeyCache, KeySourceError, Loader
from shared.identity import SCOPES, Principal

DEFAULT_TTL, MIN_TTL, MAX_TTL = 300.0, 60.0, 3600.0
REFETCH_INTERVAL = 10.0
MAX_LEEWAY = 60.0
MAX_JWKS_BYTES = 256 * 1024
IDP_SCOPES = SCOPES - {"admin", "customers:any"}
"""What an end-user token may carry by default: never the operator or all-customers scopes."""
_tracer = trace.get_tracer("commerce_hub")


class _Jwks(msgspec.Struct):
    keys: list[dict[str, Any]]


def cache_ttl(cache_control: str | None) -> float:
    """Seconds to keep a JWKS: its max-age within [60 s, 1 h], else 5 minutes."""
    for directive in (cache_control or "").split(","):
        name, _, value = directive.strip().partition("=")
        if name.lower() == "max-age" and value.strip('"').isdigit():
            return min(max(float(value.strip('"')), MIN_TTL), MAX_TTL)
    return DEFAULT_TTL


def jwks_loader(http: httpx.AsyncClient, url: str, *, timeout: float = 5.0) -> Loader[VerificationKey]:
    """Fetch and parse the JWKS; any failure is a `KeySourceError` (the cache keeps the last good set)."""

    async def load() -> tuple[dict[str, VerificationKey], float]:
        with _tracer.start_as_current_span("idp.fetch_jwks", kind=trace.SpanKind.CLIENT) as span:
            try:
                response = await http.get(url, timeout=timeout, headers={"accept": "application/json"})
            except httpx.HTTPError as exc:
                raise KeySourceError(f"JWKS fetch failed: {type(exc).__name__}") from exc
            span.set_attribute("http.response.status_code", response.status_code)
        if response.status_code != 200:
            raise KeySourceError(f"JWKS answered {response.status_code}")
        if len(response.content) > MAX_JWKS_BYTES:
            raise KeySourceError("JWKS too large")
        try:
            document = msgspec.json.decode(response.content, type=_Jwks)
        except msgspec.MsgspecError as exc:
            raise KeySourceError(f"JWKS is not a key set: {exc}") from exc
        keys = {key.kid: key for key in map(key_from_jwk, document.keys) if key is not None}
        if not keys:
            raise KeySourceError("JWKS holds no usable RS256/ES256 signing key")
        return keys, cache_ttl(response.headers.get("cache-control"))

    return load


class IdpVerifier:
    """Bearer JWT -> Principal(kind="jwt"), for tokens of the configured identity provider."""

    def __init__(self, keys: KeyCache[VerificationKey], *, issuer: str, audience: str, plan: str = "standard",
                 leeway: float = 30.0, allowed_scopes: frozenset[str] = IDP_SCOPES) -> None:
        if not 0 <= leeway <= MAX_LEEWAY:
            raise ValueError(f"leeway must be within [0, {MAX_LEEWAY}] seconds")
        self._keys = keys
        self._issuer, self._audience, self._plan = issuer, audience, plan
        self._leeway = leeway
        self._allowed_scopes = allowed_scopes & SCOPES

    @classmethod
    def over_http(cls, http: httpx.AsyncClient, jwks_url: str, **options: Any) -> "IdpVerifier":
        cache = KeyCache(jwks_loader(http, jwks_url), min_interval=REFETCH_INTERVAL, name="idp jwks")
        return cls(cache, **options)

    async def __call__(self, token: str) -> Principal:
        header = signed_header(token)
        claims = verified_claims(token, await self._keys.get(header["kid"]), header["alg"], issuer=self._issuer,
                                 audience=self._audience, leeway=self._leeway,
                                 require=("exp", "nbf", "iss", "aud", "sub"))
        sub = claims["sub"]
        if not isinstance(sub, str) or not 0 < len(sub) <= 255:
            raise rejected("bad sub")
        scope, customer = claims.get("scope"), claims.get("customer_id")
        return Principal(
            consumer=f"idp:{sub}",
            scopes=frozenset(scope.split()) & self._allowed_scopes if isinstance(scope, str) else frozenset(),
            plan=self._plan,
            customer_id=customer if isinstance(customer, str) and customer else sub,
            kind="jwt",
        )
