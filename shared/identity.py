"""Who is calling: the principal the gateway authenticates, and the customer rule of
CONTRACT section 2 that every layer applies the same way.

The gateway hands the principal to the experience APIs in the
``X-Hub-Principal`` header, signed with the internal secret, so a split
experience role can trust it without a database and a forged header is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import msgspec

from shared.errors import Forbidden, Unauthorized

SCOPES = frozenset(
    {
        "catalog:read",
        "orders:write",
        "orders:read",
        "returns:write",
        "returns:read",
        "webhooks:manage",
        "customers:any",
        "admin",
        "metrics:read",
        "console",
    }
)
PRINCIPAL_HEADER = "x-hub-principal"
API_KEY, OAUTH, JWT = "api_key", "oauth", "jwt"
"""The credential kinds (CONTRACT sections 3, 4, 5, 7): ``X-API-Key``, a hub-signed OAuth token,
the identity provider's JWT. Each experience API declares the kinds its channel accepts."""


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    consumer: str
    scopes: frozenset[str]
    plan: str
    key_id: str | None = None
    customer_id: str | None = None
    kind: str = "api_key"
    """api_key, oauth (hub-signed token) or jwt (identity provider token)."""

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise Forbidden(f"This credential lacks the scope {scope!r}.", code="insufficient_scope")

    def acting_customer(self, requested: str | None) -> str | None:
        """The customer a request acts for: the named one when allowed, else the bound one,
        else None (a guest). Naming another customer without `customers:any` is 403."""
        if requested is None or requested == self.customer_id:
            return self.customer_id
        if "customers:any" in self.scopes:
            return requested
        raise Forbidden(
            "This credential may not act for that customer.", code="customer_forbidden"
        )


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Principal)


def sign_principal(principal: Principal, secret: str) -> str:
    body = base64.urlsafe_b64encode(_encoder.encode(principal)).rstrip(b"=")
    mac = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"{body.decode()}.{mac}"


def verify_principal(value: str | None, secret: str) -> Principal:
    """The principal in a signed header; missing or forged -> 401."""
    if not value or "." not in value:
        raise Unauthorized("No credentials were presented.")
    body, mac = value.rsplit(".", 1)
    expected = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(mac, expected):
        raise Unauthorized("The forwarded identity is not valid.")
    return _decoder.decode(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
