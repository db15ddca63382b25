"""The payment provider's shapes ("Stripe-like", snake_case, money as decimal strings).

Unlike Stripe, amounts are decimal strings in major units (``"198.00"``) with
an upper-case ISO 4217 ``currency``, as everywhere in the sandbox.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from shared.jsonbody import MalformedJson, decode_json

Money = Annotated[str, msgspec.Meta(pattern=r"^\d{1,9}(\.\d{1,2})?$")]
Currency = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")]


class PaymentsModel(msgspec.Struct, frozen=True, kw_only=True):
    """Base of every payment provider payload."""


class ErrorDetail(PaymentsModel, omit_defaults=True):
    type: str
    code: str
    message: str
    param: str | None = None


class PaymentsError(PaymentsModel):
    """``{"error": {"type", "code", "message", "param"?}}``."""

    error: ErrorDetail


THROTTLED = PaymentsError(error=ErrorDetail(type="rate_limit_error", code="rate_limit", message="Too many requests"))


class PaymentsRefused(Exception):
    """The provider refuses the request: ``status`` with its error ``code``."""

    def __init__(self, status: int, code: str, message: str, *, param: str | None = None) -> None:
        self.status, self.code, self.param = status, code, param
        super().__init__(message)

    def body(self) -> PaymentsError:
        kind = "idempotency_error" if self.code == "idempotency_key_in_use" else "invalid_request_error"
        return PaymentsError(error=ErrorDetail(type=kind, code=self.code, message=str(self), param=self.param))


def decode_payments(body: bytes, type_: type[Any]) -> Any:
    try:
        return decode_json(body, type_)
    except (msgspec.ValidationError, MalformedJson) as exc:
        raise PaymentsRefused(400, "parameter_invalid", str(exc)) from exc


class AuthorizationIn(PaymentsModel, forbid_unknown_fields=True):
    """The body of ``POST /v1/authorizations``."""

    amount: Money
    currency: Currency


class Authorization(PaymentsModel, kw_only=True):
    id: str
    object: Literal["authorization"] = "authorization"
    amount: str
    currency: str
    amount_refunded: str
    status: Literal["authorized"]
    created: int


class RefundIn(PaymentsModel, forbid_unknown_fields=True):
    """The body of ``POST /v1/refunds``."""

    authorization: Annotated[str, msgspec.Meta(min_length=1)]
    amount: Money
    currency: Currency
    reason: str | None = None


class Refund(PaymentsModel, kw_only=True):
    id: str
    object: Literal["refund"] = "refund"
    authorization: str
    amount: str
    currency: str
    status: Literal["succeeded"]
    created: int


class RefundView(msgspec.Struct, frozen=True, kw_only=True):
    refund_id: str
    authorization_id: str
    amount: str
    currency: str
    status: str


class RefundViews(msgspec.Struct, frozen=True):
    items: list[RefundView]
