"""The principal and the customer rule of CONTRACT section 2 (shared/identity.py)."""

from __future__ import annotations

import base64

import msgspec
import pytest

from shared.errors import Forbidden, Unauthorized
from shared.identity import SCOPES, Principal, sign_principal, verify_principal

SECRET = "internal-secret-for-tests"


def principal(*scopes: str, customer: str | None = None) -> Principal:
    return Principal(consumer="shop", scopes=frozenset(scopes), plan="standard", key_id="key_1", customer_id=customer)


def test_the_scopes_are_those_of_the_contract_plus_the_metrics_scraper_and_the_console() -> None:
    """CONTRACT section 2's scopes, `metrics:read` (a Prometheus scraper's key: /metrics
    behind a scope, docs/telemetry.md) and `console` (the ops console's operator, issue 12);
    nothing else."""
    assert SCOPES == {"catalog:read", "orders:write", "orders:read", "returns:write", "returns:read",
                      "webhooks:manage", "customers:any", "admin", "metrics:read", "console"}


def test_require_passes_a_held_scope_and_refuses_another_with_insufficient_scope() -> None:
    p = principal("catalog:read")
    p.require("catalog:read")
    with pytest.raises(Forbidden) as caught:
        p.require("orders:write")
    assert caught.value.code == "insufficient_scope" and caught.value.status == 403


@pytest.mark.parametrize(("scopes", "bound", "requested", "acting"), [
    ((), None, None, None),                                  # a guest
    ((), "CUST-ACME", None, "CUST-ACME"),                    # naming none: the bound customer
    ((), "CUST-ACME", "CUST-ACME", "CUST-ACME"),             # naming its own
    (("customers:any",), None, "CUST-ACME", "CUST-ACME"),    # a trusted backend names anyone
    (("customers:any",), "CUST-BOLT", "CUST-ACME", "CUST-ACME"),
    (("customers:any",), "CUST-BOLT", None, "CUST-BOLT"),
])
def test_the_acting_customer(scopes: tuple, bound: str | None, requested: str | None, acting: str | None) -> None:
    assert principal("catalog:read", *scopes, customer=bound).acting_customer(requested) == acting


@pytest.mark.parametrize(("bound", "requested"), [("CUST-BOLT", "CUST-ACME"), (None, "CUST-ACME")])
def test_naming_another_customer_without_customers_any_is_customer_forbidden(bound: str | None, requested: str) -> None:
    with pytest.raises(Forbidden) as caught:
        principal("catalog:read", customer=bound).acting_customer(requested)
    assert caught.value.code == "customer_forbidden"


def test_a_signed_principal_verifies_to_itself() -> None:
    p = principal("catalog:read", "orders:write", customer="CUST-ACME")
    assert verify_principal(sign_principal(p, SECRET), SECRET) == p


def _forge(signed: str, **changes: object) -> str:
    body, mac = signed.rsplit(".", 1)
    data = msgspec.json.decode(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    forged = base64.urlsafe_b64encode(msgspec.json.encode({**data, **changes})).rstrip(b"=").decode()
    return f"{forged}.{mac}"


@pytest.mark.parametrize("value", [
    None, "", "no-dot", "abc.def",
    _forge(sign_principal(principal("catalog:read"), SECRET), scopes=["admin"]),
    _forge(sign_principal(principal("catalog:read"), SECRET), customer_id="CUST-ACME"),
    sign_principal(principal("admin"), "another-secret"),
])
def test_a_missing_or_forged_header_is_401(value: str | None) -> None:
    with pytest.raises(Unauthorized):
        verify_principal(value, SECRET)
