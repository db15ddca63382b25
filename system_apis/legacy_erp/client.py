"""``ErpPort`` over a legacy on-premises ERP: SOAP 1.1 for live calls, CSV exports for master data.

Live (``POST {service_path}``, ``SOAPAction``, WS-Security ``UsernameToken``):
``GetCustomer``, ``SubmitSalesOrder``, ``FindSalesOrder``, ``CreateCreditMemo``,
``FindCreditMemo``, ``VoidCreditMemo``. Nightly exports (``GET
{exports_path}/<file>.csv``): the item master, quantity breaks, customers and
contract prices (``exports``). The ERP has no idempotency key: it refuses a
second document with the same ``ExternalRef`` (``DUPLICATE_EXTERNAL_REF``),
so a retried write is safe and its refusal leads the adapter to the first one.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

import httpx

from shared import models as hub
from shared.errors import BackendError, BackendThrottled, BackendUnavailable, NotFound
from shared.ops.probes import ProbeResult
from system_apis.legacy_erp import exports, mapping, soap
from system_apis.legacy_erp.soap import Fields
from system_apis.vendor_http import VendorHttp, parse_retry_after, raise_for_vendor_status

BACKEND = "legacy_erp"
SANDBOX_USERNAME, SANDBOX_PASSWORD = "hub", "legacy-sandbox"
BUSY_CODES = frozenset({"SESSION_LIMIT_REACHED"})
DUPLICATE = "DUPLICATE_EXTERNAL_REF"


def classify(response: httpx.Response) -> None:
    """SOAP faults (HTTP 500) read by their code; everything else by its status.

        soap:Server SESSION_LIMIT_REACHED -> BackendThrottled     other soap:Server -> BackendUnavailable
        soap:Client *_NOT_FOUND -> NotFound                        other soap:Client -> BackendError
        no fault: 429 -> BackendThrottled, 5xx -> BackendUnavailable, other 4xx -> BackendError
    """
    if response.status_code < 300:
        return
    fault = soap.fault_of(response.content)
    if fault is None:
        raise_for_vendor_status(BACKEND, response)
        return
    if fault.code in BUSY_CODES:
        raise BackendThrottled("LEGACY_ERP has no session free", backend=BACKEND,
                               retry_after=parse_retry_after(response), vendor_code=fault.code)
    if not fault.client:
        raise BackendUnavailable("LEGACY_ERP failed", backend=BACKEND, vendor_code=fault.code)
    if fault.code and fault.code.endswith("_NOT_FOUND"):
        raise NotFound("LEGACY_ERP has no such record")
    raise BackendError("LEGACY_ERP refused the request", backend=BACKEND, vendor_code=fault.code)


def _soap_headers(operation: str) -> dict[str, str]:
    return {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{soap.SOAP_ACTION.format(operation)}"'}


class LegacyErpAdapter:
    """The legacy ERP behind ``ErpPort``; build its ``VendorHttp`` with ``classify``."""

    def __init__(self, http: VendorHttp, *, username: str = SANDBOX_USERNAME, password: str = SANDBOX_PASSWORD,
                 service_path: str = "/ws/SalesService", exports_path: str = "/exports") -> None:
        self._http = http
        self._username, self._password = username, password
        self._service, self._exports = service_path, exports_path

    async def probe(self) -> ProbeResult:
        """Health: the ``GetServerInfo`` SOAP operation (no record read; its WS-Security login checked)."""
        content = soap.envelope("GetServerInfo", [], username=self._username, password=self._password)
        return await self._http.probe("POST", self._service, content=content, headers=_soap_headers("GetServerInfo"))

    async def get_item(self, sku: str) -> hub.Item:
        found = next((item for item in await self._items() if item.sku == sku), None)
        if found is None:
            raise NotFound(f"unknown SKU {sku}", code="unknown_sku")
        return found

    async def list_items(self, offset: int = 0, limit: int = 100) -> hub.ItemPage:
        chunk, more = exports.page(await self._items(), offset, limit)
        return hub.ItemPage(items=tuple(chunk), next_offset=more)

    async def get_customer(self, customer_id: str) -> hub.Customer:
        """Live, not from the export: a credit hold set today counts today."""
        try:
            response = await self._call("GetCustomer", [("CustomerNo", customer_id)], {"hub.customer_id": customer_id})
        except NotFound as exc:
            raise NotFound(f"unknown customer {customer_id}", code="unknown_customer") from exc
        customer = mapping.answer(response, "Customer")
        if customer is None:
            raise NotFound(f"unknown customer {customer_id}", code="unknown_customer")
        return mapping.to_customer(customer)

    async def get_contract_prices(self, customer_id: str) -> hub.ContractPrices:
        await self.get_customer(customer_id)  # an unknown customer is NotFound, as the port says
        (prices,) = exports.to_contract_prices([customer_id], await self._export(exports.CONTRACTS))
        return prices

    async def list_customers(self, offset: int = 0, limit: int = 100) -> hub.CustomerPage:
        chunk, more = exports.page(await self._customers(), offset, limit)
        return hub.CustomerPage(items=tuple(chunk), next_offset=more)

    async def list_contract_prices(self, offset: int = 0, limit: int = 100) -> hub.ContractPricesPage:
        chunk, more = exports.page(await self._customers(), offset, limit)
        prices = exports.to_contract_prices([c.customer_id for c in chunk], await self._export(exports.CONTRACTS))
        return hub.ContractPricesPage(items=tuple(prices), next_offset=more)

    async def post_sales_order(self, order: hub.SalesOrder) -> hub.ErpOrderRef:
        attrs = {"hub.order_id": order.order_id, "hub.channel": order.channel}
        booked = await self._book_once("SubmitSalesOrder", mapping.sales_order_fields(order), "FindSalesOrder",
                                       order.order_id, "SalesOrder", attrs)
        return mapping.to_order_ref(booked)

    async def find_sales_order(self, order_id: str) -> hub.SalesOrderRecord | None:
        response = await self._call("FindSalesOrder", [("ExternalRef", order_id)], {"hub.order_id": order_id})
        found = mapping.answer(response, "SalesOrder")
        return mapping.to_sales_order_record(found) if found is not None else None

    async def create_credit_memo(self, memo: hub.CreditMemoRequest) -> hub.CreditMemoRef:
        attrs = {"hub.rma_id": memo.rma_id, "hub.order_id": memo.order_id}
        booked = await self._book_once("CreateCreditMemo", mapping.credit_memo_fields(memo), "FindCreditMemo",
                                       memo.rma_id, "CreditMemo", attrs)
        return mapping.to_credit_memo_ref(booked)

    async def void_credit_memo(self, credit_memo_id: str) -> None:
        """The ERP voids idempotently; an unknown memo is ``NotFound(code="unknown_credit_memo")``."""
        try:
            await self._call("VoidCreditMemo", [("CreditMemoNo", credit_memo_id)],
                             {"hub.credit_memo_id": credit_memo_id})
        except NotFound as exc:
            raise NotFound(f"unknown credit memo {credit_memo_id}", code="unknown_credit_memo") from exc

    async def _call(self, operation: str, fields: Fields, attrs: dict[str, str]) -> Element:
        """One SOAP operation; every one is safe to retry (reads, voids, and writes the ERP keeps
        unique by ``ExternalRef``). The element of its response."""
        content = soap.envelope(operation, fields, username=self._username, password=self._password)
        raw = await self._http.post_raw(operation, self._service, content, headers=_soap_headers(operation), retry=True,
                                        span_attributes=attrs)
        try:
            return soap.body_of(soap.parse(raw))
        except soap.NotSoap as exc:
            raise BackendError("unexpected LEGACY_ERP response", backend=BACKEND) from exc

    async def _book_once(self, operation: str, fields: Fields, find: str, ref: str, record: str,
                         attrs: dict[str, str]) -> Element:
        """Book a document; when the ERP already holds one under ``ref`` (a retry whose first answer
        was lost), the one it holds."""
        try:
            response = await self._call(operation, fields, attrs)
        except BackendError as exc:
            if exc.extra.get("vendor_code") != DUPLICATE:
                raise
            response = await self._call(find, [("ExternalRef", ref)], attrs)
        return self._record(response, record)

    def _record(self, response: Element, record: str) -> Element:
        found = mapping.answer(response, record)
        if found is None:
            raise BackendError(f"unexpected LEGACY_ERP response: no {record}", backend=BACKEND)
        return found

    async def _export(self, name: str) -> list[dict[str, str]]:
        return exports.rows(name, await self._http.get(f"read_{name.removesuffix('.csv')}", f"{self._exports}/{name}"))

    async def _items(self) -> list[hub.Item]:
        return exports.to_items(await self._export(exports.ITEMS), await self._export(exports.BREAKS))

    async def _customers(self) -> list[hub.Customer]:
        return exports.to_customers(await self._export(exports.CUSTOMERS))
