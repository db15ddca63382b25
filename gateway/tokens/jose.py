"""The JWT checks both verifiers share: allowed algorithms, JWK parsing, the header gate and
claim validation. Every failure is the same ``Unauthorized``; the reason goes to the debug log.

Only RS256 and ES256 are accepted, and the algorithm is checked on the unverified header
*before* any key is looked up; a key then verifies only tokens of its own algorithm
(an RSA key never an HS256 token, a P-256 key only ES256). Key-carrying headers
(``jku``, ``x5u``, ``jwk``) are ignored: keys come only from our configured sources.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Iterable, NamedTuple

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from shared.errors import Unauthorized

log = logging.getLogger("commerce_hub.gateway.tokens")
ALLOWED_ALGORITHMS = frozenset({"RS256", "ES256"})
MAX_TOKEN_BYTES = 8192
MIN_RSA_BITS = 2048
INVALID = "The bearer token is not valid."


class VerificationKey(NamedTuple):
    kid: str
    alg: str
    key: Any
    """A cryptography public key object."""
    not_after: datetime | None = None
    """A retired hub key stops verifying at this time; None for keys without an end."""


def rejected(reason: str, *args: object) -> Unauthorized:
    """The one 401 a caller sees; why, only in the debug log."""
    log.debug("bearer token rejected: " + reason, *args)
    return Unauthorized(INVALID)


def unverified_payload(token: str) -> dict[str, Any]:
    """The payload read without any check: for routing only, never for a decision."""
    _check_length(token)
    try:
        return jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise rejected("malformed: %s", exc) from None


def signed_header(token: str, allowed: Iterable[str] = ALLOWED_ALGORITHMS) -> dict[str, Any]:
    """The unverified header, refused unless its algorithm is allowed and it names a kid."""
    _check_length(token)
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise rejected("malformed header: %s", exc) from None
    if header.get("alg") not in set(allowed):
        raise rejected("algorithm %r not allowed", header.get("alg"))
    if not isinstance(header.get("kid"), str) or not header["kid"]:
        raise rejected("no kid")
    return header


def verified_claims(token: str, key: VerificationKey | None, alg: str, *, issuer: str, audience: str,
                    leeway: float, require: Iterable[str], now: datetime | None = None) -> dict[str, Any]:
    """The payload once the signature (with this key, in its own algorithm), iss, aud, exp,
    nbf and the required claims hold."""
    if key is None:
        raise rejected("unknown kid")
    if key.alg != alg:
        raise rejected("kid %r is %s, token says %s", key.kid, key.alg, alg)
    if key.not_after is not None and now is not None and now >= key.not_after:
        raise rejected("kid %r retired", key.kid)
    try:
        claims = jwt.decode(token, key.key, algorithms=[key.alg], issuer=issuer, audience=audience, leeway=leeway,
                            options={"require": list(require), "verify_signature": True})
    except jwt.PyJWTError as exc:
        raise rejected("%s: %s", type(exc).__name__, exc) from None
    if claims.get("iss") != issuer:  # exact match, whatever the PyJWT version (CVE-2024-53861)
        raise rejected("issuer %r", claims.get("iss"))
    return claims


def _check_length(token: str) -> None:
    if len(token) > MAX_TOKEN_BYTES:
        raise rejected("longer than %d bytes", MAX_TOKEN_BYTES)


def key_from_jwk(jwk: dict[str, Any]) -> VerificationKey | None:
    """A public verification key from one JWK, or None for anything we would not trust."""
    kid, kty, alg = jwk.get("kid"), jwk.get("kty"), jwk.get("alg")
    if not isinstance(kid, str) or not kid or jwk.get("use", "sig") != "sig":
        return None
    try:
        if kty == "RSA" and alg in (None, "RS256"):
            key = RSAAlgorithm.from_jwk(jwk)
            key = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
            return VerificationKey(kid, "RS256", key) if key.key_size >= MIN_RSA_BITS else None
        if kty == "EC" and jwk.get("crv") == "P-256" and alg in (None, "ES256"):
            key = ECAlgorithm.from_jwk(jwk)
            key = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
            return VerificationKey(kid, "ES256", key)
    except (jwt.PyJWTError, ValueError, TypeError, KeyError) as exc:
        log.debug("JWK %r skipped: %s", kid, exc)
    return None


def public_jwk(public_key: Any, kid: str, alg: str) -> dict[str, Any]:
    """The JWK a JWKS publishes for one of our keys (no private part)."""
    family = ECAlgorithm if alg == "ES256" else RSAAlgorithm
    return {**family.to_jwk(public_key, as_dict=True), "kid": kid, "alg": alg, "use": "sig"}
