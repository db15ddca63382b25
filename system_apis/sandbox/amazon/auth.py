"""The Amazon sandbox's tokens: Login with Amazon (``POST /sandbox/amazon/auth/o2/token``, the
refresh-token grant), Restricted Data Tokens (``POST .../tokens/2021-03-01/restrictedDataToken``),
and the control that shortens or ends their lives (``/sandbox/amazon/lwa``).

- LWA answers ``{"access_token", "refresh_token", "token_type", "expires_in"}``; a wrong refresh
  token is 400 ``invalid_grant``, a wrong client id or secret 401 ``invalid_client``, another
  grant type 400 ``unsupported_grant_type`` (Amazon's OAuth error bodies).
- An access token lives ``expires_in`` seconds (3600, as Amazon's; the control sets it or ends
  every token at once); the gate answers an expired one 403 ``Unauthorized``, as Amazon does.
- An RDT is accepted only on the restricted operations it names (method and path, ``{orderId}``
  for any order) and makes them answer the PII of its ``dataElements``; anywhere else, or
  expired, it is 403 ``Unauthorized``. Orders operations called with a plain access token answer
  no PII (city, region, postal code and country only).
"""

from __future__ import annotations

import itertools
import re
import time
from typing import Any

import msgspec
from litestar import Request, get, post

from system_apis.amazon.client import SANDBOX_ACCESS_TOKEN
from system_apis.amazon.vendor_schemas import CreateRestrictedDataToken, RestrictedDataToken, RestrictedResource
from system_apis.sandbox.control_errors import decode_control

REFRESH_TOKEN = "Atzr|sandbox-refresh-token"
CLIENT_ID = "amzn1.application-oa2-client.sandbox"
CLIENT_SECRET = "sandbox-client-secret"
LWA_CREDENTIAL = f"{REFRESH_TOKEN};{CLIENT_ID};{CLIENT_SECRET}"
"""A connection credential in the refresh form that this sandbox's LWA endpoint takes."""
RESTRICTED = {
    "/orders/v0/orders": ("GET", {"buyerInfo", "shippingAddress", "buyerTaxInformation"}),
    "/orders/v0/orders/{orderId}": ("GET", {"buyerInfo", "shippingAddress", "buyerTaxInformation"}),
    "/orders/v0/orders/{orderId}/orderItems": ("GET", {"buyerInfo"}),
}
"""The restricted operations this sandbox serves: path -> (method, the dataElements it takes)."""
PII_HEADER = b"x-sandbox-pii"
"""Set by the gate (never by a caller): the dataElements the call's RDT grants."""


class LwaControl(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    expires_in: int | None = None
    """The life of tokens issued from now on, in seconds (1 to 3600)."""
    expire_now: bool = False
    """End every access token and RDT issued so far (the next call with one is 403)."""


class SandboxAuth:
    def __init__(self, clock: Any = time.monotonic) -> None:
        self._clock = clock
        self._n = itertools.count(1)
        self.expires_in = 3600
        self.access: dict[str, float] = {}
        """Issued LWA access token -> when it expires (``clock``)."""
        self.rdts: dict[str, tuple[float, list[RestrictedResource]]] = {}
        self.exchanges = 0

    def exchange(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """The LWA token endpoint: (status, body)."""
        if form.get("grant_type") != "refresh_token":
            return 400, {"error": "unsupported_grant_type", "error_description": "Only refresh_token is supported"}
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return 401, {"error": "invalid_client", "error_description": "Client authentication failed"}
        if form.get("refresh_token") != REFRESH_TOKEN:
            return 400, {"error": "invalid_grant",
                         "error_description": "The request has an invalid grant parameter : refresh_token"}
        self.exchanges += 1
        token = f"Atza|sandbox-lwa-{next(self._n)}"
        self.access[token] = self._clock() + self.expires_in
        return 200, {"access_token": token, "refresh_token": REFRESH_TOKEN, "token_type": "bearer",
                     "expires_in": self.expires_in}

    def restricted_token(self, body: CreateRestrictedDataToken) -> RestrictedDataToken:
        token = f"Atz.sprdt|sandbox-{next(self._n)}"
        self.rdts[token] = (self._clock() + self.expires_in, list(body.restrictedResources))
        return RestrictedDataToken(restrictedDataToken=token, expiresIn=self.expires_in)

    def access_ok(self, token: str) -> bool:
        return token == SANDBOX_ACCESS_TOKEN or self.access.get(token, 0.0) > self._clock()

    def granted(self, token: str, method: str, path: str) -> set[str] | None:
        """The dataElements an RDT grants this call; ``None`` when it is no live RDT for it."""
        until, resources = self.rdts.get(token, (0.0, []))
        if until <= self._clock():
            return None
        for resource in resources:
            pattern = re.escape(resource.path).replace(re.escape("{orderId}"), r"[^/]+")
            if resource.method == method and re.fullmatch(pattern, path):
                return set(resource.dataElements)
        return None

    def control(self, body: LwaControl) -> None:
        if body.expires_in is not None:
            self.expires_in = max(1, min(body.expires_in, 3600))
        if body.expire_now:
            self.access = dict.fromkeys(self.access, 0.0)
            self.rdts = {t: (0.0, r) for t, (_, r) in self.rdts.items()}


def invalid_resources(body: CreateRestrictedDataToken) -> str | None:
    """Why Amazon would refuse these restricted resources (400 ``InvalidInput``), or ``None``."""
    if not body.restrictedResources:
        return "restrictedResources must name at least one resource"
    for resource in body.restrictedResources:
        method, elements = RESTRICTED.get(resource.path, ("", set()))
        if resource.method != method:
            return f"{resource.method} {resource.path} is not a restricted operation"
        if not set(resource.dataElements) <= elements:
            return f"dataElements {resource.dataElements} are not valid for {resource.path}"
    return None


@post("/lwa", status_code=200)
async def lwa_control(request: Request[Any, Any, Any], amazon: Any) -> dict:
    """Control: the life of tokens issued from now on (``expires_in``), or end every one (``expire_now``)."""
    amazon.auth.control(decode_control(await request.body(), LwaControl))
    return lwa_view_of(amazon)


@get("/lwa")
async def lwa_view(amazon: Any) -> dict:
    return lwa_view_of(amazon)


def lwa_view_of(amazon: Any) -> dict:
    """How many refresh-token exchanges and RDTs were issued (never the tokens themselves)."""
    return {"expires_in": amazon.auth.expires_in, "exchanges": amazon.auth.exchanges, "rdts": len(amazon.auth.rdts)}
