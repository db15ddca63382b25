"""The pure pricing rules of CONTRACT section 3: contract > best reached break > list."""

from __future__ import annotations

from decimal import Decimal

import pytest

from process_apis.inventory.stock import SkuStock
from process_apis.pricing import rules
from tests.process_apis.pricing.fakes import item

DRILL = item("SKU-1", "129.00", (50, "109.00"), (10, "119.00"))


@pytest.mark.parametrize("quantity", [1, 9, 10, 49, 50, 1000])
@pytest.mark.parametrize("contract", ["99.00", "125.00", "140.00"])
def test_a_contract_price_is_the_price_at_every_quantity(quantity: int, contract: str) -> None:
    assert rules.price_for(DRILL, quantity, Decimal(contract)) == (Decimal(contract), "contract")


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [(1, ("129.00", "list")), (9, ("129.00", "list")), (10, ("119.00", "break")),
     (49, ("119.00", "break")), (50, ("109.00", "break")), (5000, ("109.00", "break"))],
)
def test_the_best_break_the_quantity_reaches_applies_else_the_list_price(quantity: int, expected: tuple) -> None:
    price, source = rules.price_for(DRILL, quantity, None)
    assert (price, source) == (Decimal(expected[0]), expected[1])


@pytest.mark.parametrize("break_price", ["129.00", "130.00"])
def test_a_break_not_lower_than_the_list_price_is_ignored(break_price: str) -> None:
    odd = item("SKU-2", "129.00", (10, break_price))
    assert rules.price_for(odd, 10, None) == (Decimal("129.00"), "list")


def test_a_useless_break_does_not_hide_a_useful_one() -> None:
    mixed = item("SKU-3", "20.00", (5, "25.00"), (10, "18.00"))
    assert rules.price_for(mixed, 7, None) == (Decimal("20.00"), "list")
    assert rules.price_for(mixed, 12, None) == (Decimal("18.00"), "break")


@pytest.mark.parametrize(
    ("unit", "quantity", "expected"),
    [("99.00", 3, "297.00"), ("24.50", 9, "220.50"), ("0.333", 3, "1.00"), ("1.005", 1000, "1005.00"),
     ("0.01", 1, "0.01")],
)
def test_extended_price_is_unit_times_quantity_in_cents(unit: str, quantity: int, expected: str) -> None:
    result = rules.extended(Decimal(unit), quantity)
    assert result == Decimal(expected)
    assert result.as_tuple().exponent == -2


def test_locations_are_sorted_and_never_negative() -> None:
    stock = SkuStock(sku="SKU-1", locations={"DC-WEST": 10, "DC-EAST": 40, "STORE-NYC": -3}, reserved=5)
    locations = rules.locations_of(stock)
    assert [(loc.location, loc.available) for loc in locations] == [("DC-EAST", 40), ("DC-WEST", 10), ("STORE-NYC", 0)]
    assert stock.free == 42  # what reserve() allows: the sum as reported, less the holds
    assert rules.locations_of(SkuStock(sku="SKU-9")) == ()
    assert SkuStock(sku="SKU-9", locations={"DC-EAST": 1}, reserved=3).free == 0
