"""Timestamps and money as the sandbox vendors write them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

_CENT = Decimal("0.01")


def rfc3339_now() -> str:
    """The current UTC time, to the second, as ``2026-11-22T10:00:00Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def money(amount: Decimal) -> str:
    """A decimal string with two places: ``Decimal("24.5")`` -> ``"24.50"``."""
    return str(amount.quantize(_CENT))
