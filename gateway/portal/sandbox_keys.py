"""Self-service sandbox keys: ``POST /docs/sandbox-keys`` (served only with ``HUB_SANDBOX=1``).

A partner developer reading the portal has no CLI and no admin key; in the sandbox the
portal mints them a key itself, through the same ``KeyService`` the admin API's
``POST /admin/v1/keys`` uses: the channel's usual scopes, bound to a seeded sandbox
customer for a partner, expiring after seven days, the secret shown once. Each source
address may mint ``HUB_SANDBOX_KEYS_PER_SOURCE`` keys per window (``limits``, the same
per-source counting as failed authentications); past it, 429 with ``Retry-After``.
With ``HUB_SANDBOX=0`` the portal has no such handler and the path is 404."""

from __future__ import annotations

import logging
from typing import Annotated, Literal

import msgspec

from gateway.keys.schemas import KeyCreate
from gateway.keys.service import KeyService
from gateway.policies.sources import SourceGuard
from shared.asgi import read_body, send_response
from shared.errors import RateLimited, ValidationFailed
from shared.problems import msgspec_errors

log = logging.getLogger("commerce_hub.portal.sandbox_keys")
PATH = "/docs/sandbox-keys"
LIFETIME_SECONDS = 7 * 86400
SANDBOX_CUSTOMERS = ("CUST-ACME", "CUST-BOLT")
"""The seeded sandbox customers a partner key may be bound to (system_apis/sandbox/seed.py)."""
SCOPES = {
    "partner": ["catalog:read", "orders:write", "orders:read", "returns:write", "returns:read", "webhooks:manage"],
    "storefront": ["catalog:read", "orders:write", "orders:read", "returns:write", "returns:read", "customers:any"],
}
PLANS = {"partner": "partner", "storefront": None}  # None: the hub's default plan


class SandboxKeyRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    channel: Literal["storefront", "partner"]
    consumer: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,47}$")]
    customer: Literal["CUST-ACME", "CUST-BOLT"] | None = None


class SandboxKeys:
    def __init__(self, keys: KeyService, per_source: str, trusted_proxies: tuple[str, ...] = ()) -> None:
        self._keys = keys
        self.guard = SourceGuard(per_source, trusted_proxies, what="sandbox keys")

    async def __call__(self, scope: dict, receive, send) -> None:  # noqa: ANN001 - ASGI
        wait = self.guard.refused_for(scope)
        if wait is None:
            wait = await self.guard.failed_from(scope)  # every attempt counts, made or refused
        if wait is not None:
            raise RateLimited("This address made its sandbox keys for now; try again later.",
                              headers={"Retry-After": str(wait)})
        spec = _key_spec(await read_body(receive, 4096))
        created = await self._keys.create(spec)
        log.info("sandbox key %s made for %s from %s", created.id, created.consumer, self.guard.source(scope))
        await send_response(send, 201, [(b"content-type", b"application/json"), (b"cache-control", b"no-store")],
                            msgspec.json.encode(created))


def _key_spec(body: bytes) -> KeyCreate:
    try:
        asked = msgspec.json.decode(body, type=SandboxKeyRequest)
    except msgspec.ValidationError as exc:
        raise ValidationFailed("The sandbox key request is not valid.", errors=msgspec_errors(exc)) from exc
    except msgspec.DecodeError as exc:
        raise ValidationFailed("The body must be a JSON object.",
                               errors=[{"field": "body", "message": "malformed JSON"}]) from exc
    if asked.channel == "partner" and asked.customer is None:
        raise ValidationFailed("A partner key is bound to a sandbox customer.",
                               errors=[{"field": "customer", "message": f"one of {', '.join(SANDBOX_CUSTOMERS)}"}])
    if asked.channel == "storefront" and asked.customer is not None:
        raise ValidationFailed("A storefront key acts for any customer (customer_id in the request): no binding.",
                               errors=[{"field": "customer", "message": "only for the partner channel"}])
    return KeyCreate(consumer=f"sandbox-{asked.consumer}", scopes=SCOPES[asked.channel], plan=PLANS[asked.channel],
                     customer=asked.customer, expires_in_seconds=LIFETIME_SECONDS)
