"""The legacy ERP adapter's wire: SOAP 1.1 envelopes (SOAPAction, WS-Security), its fault
classifier, and the CSV exports it reads."""

from __future__ import annotations

import httpx
import msgspec
import pytest

from shared.errors import BackendError, BackendThrottled, BackendUnavailable, NotFound
from system_apis.legacy_erp import client as legacy
from system_apis.legacy_erp import exports, soap
from tests.system_apis.contracts.harness import UnderTest
from tests.system_apis.contracts.test_erp_port import ORDER


@pytest.fixture
async def legacy_sandbox():
    under_test = UnderTest("legacy_erp", "erp")
    yield under_test
    await under_test.aclose()


async def test_a_call_is_a_soap_envelope_with_its_action_and_username_token(legacy_sandbox: UnderTest) -> None:
    await legacy_sandbox.erp.get_customer("CUST-ACME")

    (sent,) = legacy_sandbox.transport.posts()
    assert sent.url.path == "/sandbox/legacy_erp/ws/SalesService"
    assert sent.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert sent.headers["SOAPAction"] == '"urn:legacy-erp:sales:2009#GetCustomer"'
    root = soap.parse(sent.content)
    assert soap.credentials(root) == (legacy.SANDBOX_USERNAME, legacy.SANDBOX_PASSWORD)
    assert soap.text(soap.body_of(root), "CustomerNo") == "CUST-ACME"


async def test_master_data_comes_from_the_nightly_exports(legacy_sandbox: UnderTest) -> None:
    await legacy_sandbox.erp.list_contract_prices(0, 10)

    paths = sorted(r.url.path for r in legacy_sandbox.transport.sent if r.method == "GET")
    assert paths == ["/sandbox/legacy_erp/exports/contract_prices.csv", "/sandbox/legacy_erp/exports/customers.csv"]


async def test_an_order_is_booked_with_its_reference_and_a_cash_sale_has_no_customer(
        legacy_sandbox: UnderTest) -> None:
    guest = msgspec.structs.replace(ORDER, customer_id=None, order_id="ord_cash")
    await legacy_sandbox.erp.post_sales_order(guest)

    (booked,) = await legacy_sandbox.view("sales-orders", external_ref="ord_cash")
    assert (booked["customer_id"], booked["total"], booked["erp_order_number"]) == (None, "222.50", "SO500001")


def _answer(status: int, content: bytes, method: str = "POST") -> httpx.Response:
    response = httpx.Response(status, content=content)
    response.request = httpx.Request(method, "http://erp.test/ws/SalesService")
    return response


@pytest.mark.parametrize(("faultcode", "code", "error"), [
    ("Client", "CUSTOMER_NOT_FOUND", NotFound),
    ("Client", "DUPLICATE_EXTERNAL_REF", BackendError),
    ("Client", "AUTHENTICATION_FAILED", BackendError),
    ("Server", "SESSION_LIMIT_REACHED", BackendThrottled),
    ("Server", "DATABASE_LOCKED", BackendUnavailable),
])
def test_soap_faults_are_read_by_their_code(faultcode: str, code: str, error: type) -> None:
    with pytest.raises(error) as caught:
        legacy.classify(_answer(500, soap.fault(faultcode, "secret vendor words", code)))
    assert type(caught.value) is error
    assert "secret" not in str(caught.value) and "secret" not in repr(caught.value.extra)


@pytest.mark.parametrize(("status", "error"), [(429, BackendThrottled), (503, BackendUnavailable), (500, BackendUnavailable),
                                               (401, BackendError), (404, NotFound)])
def test_answers_without_a_fault_are_read_by_their_status(status: int, error: type) -> None:
    with pytest.raises(error):
        legacy.classify(_answer(status, b'{"error": "proxy"}'))


def test_an_export_missing_a_column_or_with_a_bad_number_is_a_permanent_error() -> None:
    with pytest.raises(BackendError):
        exports.rows(exports.ITEMS, b"ITEM_NO,DESCRIPTION\r\nSKU-1,x\r\n")
    rows = exports.rows(exports.ITEMS, b"ITEM_NO,DESCRIPTION,LIST_PRICE,CURRENCY,STATUS,FINAL_SALE\r\n"
                                       b"SKU-1,x,12.x,USD,A,N\r\n")
    with pytest.raises(BackendError):
        exports.to_items(rows, [])


def test_a_document_type_declaration_is_refused_before_parsing() -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]>'
            b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body/></soap:Envelope>')
    with pytest.raises(soap.NotSoap):
        soap.parse(bomb)
    assert soap.fault_of(bomb) is None
