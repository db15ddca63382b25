"""The ERP adapter's full-sync reads against the CloudERP sandbox: customers and every
customer's contract prices, page by page; the sandbox's credit and contract controls."""

from __future__ import annotations

from decimal import Decimal

from tests.system_apis.test_against_sandbox import Sandbox, sandbox  # noqa: F401 - the fixture


async def test_customers_come_page_by_page(sandbox: Sandbox) -> None:  # noqa: F811
    first = await sandbox.erp.list_customers(0, 2)
    assert [c.customer_id for c in first.items] == ["CUST-ACME", "CUST-BOLT"] and first.next_offset == 2
    last = await sandbox.erp.list_customers(first.next_offset, 2)
    assert [(c.customer_id, c.credit_hold) for c in last.items] == [("CUST-HOLD", True)]
    assert last.next_offset is None


async def test_every_customer_s_contract_prices_come_page_by_page(sandbox: Sandbox) -> None:  # noqa: F811
    seen, offset = [], 0
    while offset is not None:
        page = await sandbox.erp.list_contract_prices(offset, 1)
        seen += page.items
        offset = page.next_offset
    assert [(p.customer_id, p.prices) for p in seen] == [
        ("CUST-ACME", {"SKU-1001": Decimal("99.00")}), ("CUST-BOLT", {}), ("CUST-HOLD", {})]


async def test_the_credit_and_contract_controls_change_what_the_erp_answers(sandbox: Sandbox) -> None:  # noqa: F811
    await sandbox.control("PUT", "/sandbox/erp/customers/CUST-BOLT/credit", {"credit_hold": True,
                                                                             "credit_limit": "750"})
    bolt = await sandbox.erp.get_customer("CUST-BOLT")
    assert (bolt.credit_hold, bolt.credit_limit) == (True, Decimal("750.00"))
    await sandbox.control("PUT", "/sandbox/erp/customers/CUST-BOLT/item-prices/SKU-1002", {"unit_price": "20.00"})
    assert (await sandbox.erp.get_contract_prices("CUST-BOLT")).prices == {"SKU-1002": Decimal("20.00")}
    await sandbox.control("PUT", "/sandbox/erp/customers/CUST-BOLT/item-prices/SKU-1002", {"unit_price": None})
    assert (await sandbox.erp.get_contract_prices("CUST-BOLT")).prices == {}
