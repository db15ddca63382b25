"""The payment provider over HTTP: its vendor API (``/sandbox/payments/v1``), refund view, spec."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post

from system_apis.sandbox.backend import BackendSpec
from system_apis.sandbox.payments.state import PaymentsBackend
from system_apis.sandbox.payments.schemas import (
    THROTTLED,
    Authorization,
    AuthorizationIn,
    PaymentsError,
    PaymentsRefused,
    Refund,
    RefundIn,
    RefundViews,
    decode_payments,
)


@post("/authorizations", status_code=200)
async def create_authorization(request: Request[Any, Any, Any], payments: PaymentsBackend) -> Authorization:
    """Authorize a card payment (the sandbox always approves)."""
    return payments.authorize(decode_payments(await request.body(), AuthorizationIn))


@get("/authorizations/{authorization_id:str}")
async def get_authorization(payments: PaymentsBackend, authorization_id: str) -> Authorization:
    """One authorization; 404 ``resource_missing`` when unknown."""
    return payments.authorization(authorization_id)


@post("/refunds", status_code=200)
async def create_refund(request: Request[Any, Any, Any], payments: PaymentsBackend) -> Refund:
    """Refund against an authorization; a repeated ``Idempotency-Key`` answers the first refund."""
    body = decode_payments(await request.body(), RefundIn)
    return payments.refund(body, request.headers.get("Idempotency-Key") or None)


@get("/refunds")
async def refund_view(payments: PaymentsBackend, authorization_id: str | None = None) -> RefundViews:
    """Control: the refunds made, filtered by authorization."""
    return RefundViews(items=payments.refund_views(authorization_id))


def refused(_: Request[Any, Any, Any], exc: PaymentsRefused) -> Response[PaymentsError]:
    return Response(exc.body(), status_code=exc.status)


@get("/balance")
async def balance() -> dict[str, Any]:
    """Stripe's ``GET /v1/balance``: what its integrations read to check a key; nothing is kept here."""
    return {"object": "balance", "available": [{"amount": 0, "currency": "usd"}], "livemode": False}

PAYMENTS = BackendSpec(
    name="payments",
    api_path="/v1",
    api_handlers=(create_authorization, get_authorization, create_refund, balance),
    build=PaymentsBackend,
    throttle_body=THROTTLED,
    control_handlers=(refund_view,),
    api_exception_handlers={PaymentsRefused: refused},
)
