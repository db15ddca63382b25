"""Every ERP sandbox serves the same controls at the same paths (``sandbox/erp_controls.py``), so
the README's walkthrough changes the back office the same way whatever the ERP connection's
kind: a change made through them is what that kind's adapter reads next, and a wrong body or an
unknown record is refused alike."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest

from tests.system_apis.contracts.harness import UnderTest


@pytest.fixture(params=["clouderp", "quickbooks", "netsuite", "legacy_erp"])
async def erp(request: pytest.FixtureRequest) -> AsyncIterator[UnderTest]:
    under_test = UnderTest(request.param, "erp")
    yield under_test
    await under_test.aclose()


async def control(erp: UnderTest, path: str, body: dict) -> httpx.Response:
    return await erp.control.put(f"/sandbox/{erp.backend}/{path}", json=body)


async def test_a_price_change_is_read_next_and_the_quantity_break_stays(erp: UnderTest) -> None:
    answer = await control(erp, "items/SKU-1001/price", {"list_price": "135.00"})

    assert answer.status_code == 200, answer.text
    item = await erp.erp.get_item("SKU-1001")
    assert item.list_price == Decimal("135.00")
    assert [(b.min_quantity, b.unit_price) for b in item.breaks] == [(10, Decimal("119.00"))]


async def test_a_credit_hold_and_limit_are_read_next_and_reset_undoes_them(erp: UnderTest) -> None:
    assert (await control(erp, "customers/CUST-ACME/credit", {"credit_hold": True})).status_code == 200
    assert (await control(erp, "customers/CUST-BOLT/credit", {"credit_limit": "750"})).status_code == 200

    acme, bolt = await erp.erp.get_customer("CUST-ACME"), await erp.erp.get_customer("CUST-BOLT")
    assert (acme.credit_hold, acme.credit_limit) == (True, Decimal("5000.00"))
    assert (bolt.credit_hold, bolt.credit_limit) == (False, Decimal("750.00"))
    assert (await erp.control.post("/sandbox/reset")).status_code == 200
    assert (await erp.erp.get_customer("CUST-ACME")).credit_hold is False


async def test_a_contract_price_is_set_replaced_and_removed(erp: UnderTest) -> None:
    await control(erp, "customers/CUST-BOLT/item-prices/SKU-1002", {"unit_price": "20.00"})
    await control(erp, "customers/CUST-BOLT/item-prices/SKU-1002", {"unit_price": "21.00"})
    removed = await control(erp, "customers/CUST-ACME/item-prices/SKU-1001", {"unit_price": None})

    assert removed.status_code == 200, removed.text
    assert (await erp.erp.get_contract_prices("CUST-BOLT")).prices == {"SKU-1002": Decimal("21.00")}
    assert (await erp.erp.get_contract_prices("CUST-ACME")).prices == {}


@pytest.mark.parametrize(("path", "body", "status"), [
    ("items/SKU-9999/price", {"list_price": "1.00"}, 404),
    ("items/SKU-1002/price", {"list_price": "0"}, 422),
    ("customers/CUST-NONE/credit", {"credit_hold": True}, 404),
    ("customers/CUST-BOLT/credit", {"credit_limit": "lots"}, 422),
    ("customers/CUST-BOLT/item-prices/SKU-9999", {"unit_price": "1.00"}, 404),
])
async def test_an_unknown_record_or_a_bad_body_is_refused_alike(erp: UnderTest, path: str, body: dict,
                                                                 status: int) -> None:
    assert (await control(erp, path, body)).status_code == status
