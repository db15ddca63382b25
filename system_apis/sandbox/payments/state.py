"""The payment provider sandbox state: card authorizations and their refunds.

After every reset the authorization ``pay_auth_123`` for 10000.00 USD exists
(the contract's example). A refund with an ``Idempotency-Key`` seen before
answers the first refund (400 ``idempotency_key_in_use`` when the parameters
differ); refunds never add up to more than the authorized amount (400
``amount_too_large``). Mutations never await.
"""

from __future__ import annotations

import secrets
import time
from decimal import Decimal

import msgspec

from system_apis.sandbox import seed
from system_apis.sandbox.config import SandboxConfig
from system_apis.sandbox.events import Announcer
from system_apis.sandbox.formats import money
from system_apis.sandbox.payments.schemas import (
    Authorization,
    AuthorizationIn,
    PaymentsRefused,
    Refund,
    RefundIn,
    RefundView,
)

SEED_AUTHORIZATION = "pay_auth_123"
SEED_AMOUNT = Decimal("10000.00")


class PaymentsBackend:
    """The sandbox payment provider."""

    name = "payments"

    def __init__(self, announcer: Announcer, config: SandboxConfig | None = None) -> None:
        self.announcer = announcer
        self.reset()

    def reset(self) -> None:
        seeded = Authorization(
            id=SEED_AUTHORIZATION, amount=money(SEED_AMOUNT), currency=seed.CURRENCY,
            amount_refunded="0.00", status="authorized", created=int(time.time()),
        )
        self._authorizations: dict[str, Authorization] = {seeded.id: seeded}
        self._refunds: list[Refund] = []
        self._by_key: dict[str, tuple[RefundIn, Refund]] = {}

    def authorize(self, body: AuthorizationIn) -> Authorization:
        if Decimal(body.amount) <= 0:
            raise PaymentsRefused(400, "amount_too_small", "amount must be greater than 0", param="amount")
        auth = Authorization(
            id=f"pay_auth_{secrets.token_hex(12)}", amount=money(Decimal(body.amount)), currency=body.currency,
            amount_refunded="0.00", status="authorized", created=int(time.time()),
        )
        self._authorizations[auth.id] = auth
        return auth

    def authorization(self, authorization_id: str) -> Authorization:
        auth = self._authorizations.get(authorization_id)
        if auth is None:
            raise PaymentsRefused(404, "resource_missing", f"No such authorization: '{authorization_id}'")
        return auth

    def refund(self, body: RefundIn, key: str | None) -> Refund:
        if key is not None and key in self._by_key:
            first_body, first = self._by_key[key]
            if first_body != body:
                raise PaymentsRefused(400, "idempotency_key_in_use", "Keys can only be reused with the same parameters")
            return first
        auth = self.authorization(body.authorization)
        amount = Decimal(body.amount)
        if body.currency != auth.currency:
            raise PaymentsRefused(400, "currency_mismatch", f"the authorization is in {auth.currency}", param="currency")
        if amount <= 0:
            raise PaymentsRefused(400, "amount_too_small", "amount must be greater than 0", param="amount")
        refunded = Decimal(auth.amount_refunded) + amount
        if refunded > Decimal(auth.amount):
            raise PaymentsRefused(400, "amount_too_large", "refunds would exceed the authorized amount", param="amount")
        refund = Refund(
            id=f"re_{secrets.token_hex(12)}", authorization=auth.id, amount=money(amount), currency=auth.currency,
            status="succeeded", created=int(time.time()),
        )
        self._authorizations[auth.id] = msgspec.structs.replace(auth, amount_refunded=money(refunded))
        self._refunds.append(refund)
        if key is not None:
            self._by_key[key] = (body, refund)
        return refund

    def refund_views(self, authorization_id: str | None) -> list[RefundView]:
        return [
            RefundView(refund_id=r.id, authorization_id=r.authorization, amount=r.amount, currency=r.currency,
                       status=r.status)
            for r in self._refunds
            if authorization_id in (None, r.authorization)
        ]
