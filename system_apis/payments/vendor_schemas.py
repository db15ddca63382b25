"""The payment provider's JSON ("Stripe-like", docs/vendors/stripe_like.md): decimal-string money, snake_case."""

from __future__ import annotations

from decimal import Decimal

import msgspec


class PaymentsStruct(msgspec.Struct, frozen=True, kw_only=True):
    """Base: unknown fields ignored."""


class ProviderAuthorization(PaymentsStruct):
    """``GET /v1/authorizations/{id}``."""

    id: str
    amount: Decimal
    currency: str
    status: str
    amount_refunded: Decimal = Decimal(0)


class ProviderRefundBody(PaymentsStruct):
    """``POST /v1/refunds`` (with ``Idempotency-Key``)."""

    authorization: str
    amount: str
    currency: str


class ProviderRefund(PaymentsStruct):
    id: str
    authorization: str
    amount: Decimal
    currency: str
    status: str


class ProviderErrorDetail(PaymentsStruct):
    type: str = ""
    code: str = ""


class ProviderError(PaymentsStruct):
    """``{"error": {"type", "code", "message", "param"?}}``."""

    error: ProviderErrorDetail
