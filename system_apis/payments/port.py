"""The payment provider port, in canonical terms."""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from shared.models import PaymentAuthorization, Refund


class PaymentsPort(Protocol):
    async def get_authorization(self, authorization_id: str) -> PaymentAuthorization:
        """Raises ``NotFound(code="unknown_authorization")``."""
        ...

    async def refund(self, authorization_id: str, amount: Decimal, currency: str, idempotency_key: str) -> Refund:
        """Refund against an authorization; a retried call with the same key answers
        the first refund and never refunds twice."""
        ...
