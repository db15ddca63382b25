"""Builders of items and stock levels for the pricing tests (the fakes are in ``tests.fakes``)."""

from __future__ import annotations

from decimal import Decimal

from shared.models import Item, PriceBreak, StockLevel


def item(sku: str, list_price: str, *breaks: tuple[int, str], orderable: bool = True, currency: str = "USD") -> Item:
    return Item(
        sku=sku, name=f"Item {sku}", currency=currency, list_price=Decimal(list_price), orderable=orderable,
        breaks=tuple(PriceBreak(min_quantity=q, unit_price=Decimal(p)) for q, p in breaks),
    )


def level(sku: str, location: str, available: int) -> StockLevel:
    return StockLevel(sku=sku, location=location, on_hand=max(available, 0), available=available)
