"""``PaymentsPort`` over the payment provider's REST API, and its classifier.

The provider answers refusals as 400 with an error ``code``: they are
permanent (``BackendError`` with ``code`` the provider's, e.g.
``amount_too_large``), never retried. 429 and 5xx are retried by the guard.
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import quote

import httpx
import msgspec

from shared.errors import BackendError, NotFound
from shared.models import PaymentAuthorization, Refund
from shared.ops.probes import ProbeResult
from system_apis.payments import mapping
from system_apis.payments.vendor_schemas import ProviderAuthorization, ProviderError, ProviderRefund
from system_apis.vendor_http import VendorHttp, raise_for_vendor_status

REFUSAL_CODES = frozenset({"amount_too_large", "amount_too_small", "currency_mismatch", "idempotency_key_in_use"})


def classify(response: httpx.Response) -> None:
    """The shared mapping; a 400 with a known refusal code keeps that code (a stable word, not vendor text)."""
    if response.status_code == 400:
        code = _error_code(response)
        if code in REFUSAL_CODES:
            raise BackendError("the payment provider refused the request", backend="payments", code=code)
    raise_for_vendor_status("payments", response)


def _error_code(response: httpx.Response) -> str | None:
    try:
        return msgspec.json.decode(response.content, type=ProviderError).error.code
    except msgspec.DecodeError:
        return None


class PaymentsHttpAdapter:
    """The payment provider behind ``PaymentsPort``; build its ``VendorHttp`` with ``classify`` above."""

    def __init__(self, http: VendorHttp) -> None:
        self._http = http

    async def probe(self) -> ProbeResult:
        """Health: ``GET /v1/balance``, Stripe's cheap authenticated read."""
        return await self._http.probe("GET", "/v1/balance")

    async def get_authorization(self, authorization_id: str) -> PaymentAuthorization:
        path = f"/v1/authorizations/{quote(authorization_id, safe='')}"
        try:
            auth = await self._http.get_json(
                ProviderAuthorization, "get_authorization", path,
                span_attributes={"hub.authorization_id": authorization_id},
            )
        except NotFound as exc:
            raise NotFound(f"unknown authorization {authorization_id}", code="unknown_authorization") from exc
        return mapping.to_authorization(auth)

    async def refund(self, authorization_id: str, amount: Decimal, currency: str, idempotency_key: str) -> Refund:
        """A retry with the same key answers the first refund; the provider never refunds twice."""
        try:
            body = await self._http.post(
                "refund",
                "/v1/refunds",
                mapping.to_refund_body(authorization_id, amount, currency),
                idempotency_key=idempotency_key,
                span_attributes={"hub.authorization_id": authorization_id},
            )
        except NotFound as exc:
            raise NotFound(f"unknown authorization {authorization_id}", code="unknown_authorization") from exc
        return mapping.to_refund(self._http.decode(body, ProviderRefund))
