"""Payment provider <-> canonical: pure functions, no I/O."""

from __future__ import annotations

from decimal import Decimal

from shared.models import PaymentAuthorization, Refund
from system_apis.payments.vendor_schemas import ProviderAuthorization, ProviderRefund, ProviderRefundBody

_CENT = Decimal("0.01")


def to_authorization(auth: ProviderAuthorization) -> PaymentAuthorization:
    return PaymentAuthorization(
        authorization_id=auth.id, amount=auth.amount, currency=auth.currency, status=auth.status
    )


def to_refund_body(authorization_id: str, amount: Decimal, currency: str) -> ProviderRefundBody:
    return ProviderRefundBody(
        authorization=authorization_id, amount=format(amount.quantize(_CENT), "f"), currency=currency
    )


def to_refund(refund: ProviderRefund) -> Refund:
    return Refund(
        refund_id=refund.id,
        authorization_id=refund.authorization,
        amount=refund.amount,
        currency=refund.currency,
        status=refund.status,
    )
