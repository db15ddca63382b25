"""``ErpPort`` over CloudERP's REST API, and CloudERP's throttle classifier."""

from __future__ import annotations

from typing import TypeVar
from urllib.parse import quote

import httpx
import msgspec

from shared.errors import BackendThrottled, NotFound
from shared.models import (
    ContractPrices,
    ContractPricesPage,
    CreditMemoRef,
    CreditMemoRequest,
    Customer,
    CustomerPage,
    ErpOrderRef,
    Item,
    ItemPage,
    SalesOrder,
    SalesOrderRecord,
)
from shared.ops.probes import ProbeResult
from system_apis.erp import mapping
from system_apis.erp.vendor_schemas import (
    ErpCreditMemo,
    ErpCustomer,
    ErpCustomerList,
    ErpErrorBody,
    ErpItem,
    ErpItemList,
    ErpItemPrices,
    ErpItemPricesList,
    ErpSalesOrder,
    ErpSalesOrderList,
)
from system_apis.vendor_batch import VendorBatch
from system_apis.vendor_http import VendorHttp, parse_retry_after, raise_for_vendor_status

T = TypeVar("T")

THROTTLE_CODES = frozenset({"SSS_REQUEST_LIMIT_EXCEEDED", "CONCURRENCY_LIMIT_EXCEEDED"})


def classify(response: httpx.Response) -> None:
    """Like every backend, plus NetSuite style: a 400/403 with a limit code is a throttle."""
    if response.status_code in (400, 403) and _error_code(response) in THROTTLE_CODES:
        raise BackendThrottled(
            "ERP is throttling the hub", backend="erp", retry_after=parse_retry_after(response)
        )
    raise_for_vendor_status("erp", response)


def _error_code(response: httpx.Response) -> str | None:
    try:
        return msgspec.json.decode(response.content, type=ErpErrorBody).error.code
    except msgspec.DecodeError:
        return None


class ErpHttpAdapter:
    """CloudERP behind ``ErpPort``; build its ``VendorHttp`` with ``classify`` above."""

    def __init__(self, http: VendorHttp) -> None:
        self._http = http
        self._posts = VendorBatch(
            http, "post_sales_orders", "/api/v1/salesOrders/batch", single=self._post_sales_order,
            body=mapping.to_sales_order_body, key=lambda order: order.order_id,
            answer=self._order_ref, span_keys="hub.order_ids")

    async def probe(self) -> ProbeResult:
        """Health: ``GET /api/v1/items?limit=1``, the item master's first row."""
        return await self._http.probe("GET", "/api/v1/items", params={"limit": 1})

    async def get_item(self, sku: str) -> Item:
        path = f"/api/v1/items/{quote(sku, safe='')}"
        try:
            item = await self._http.get_json(ErpItem, "get_item", path, span_attributes={"hub.sku": sku})
        except NotFound as exc:
            raise NotFound(f"unknown SKU {sku}", code="unknown_sku") from exc
        return mapping.to_item(item)

    async def list_items(self, offset: int = 0, limit: int = 100) -> ItemPage:
        page = await self._http.get_json(
            ErpItemList, "list_items", "/api/v1/items", params={"offset": offset, "limit": limit}
        )
        return mapping.to_item_page(page)

    async def get_customer(self, customer_id: str) -> Customer:
        path = f"/api/v1/customers/{quote(customer_id, safe='')}"
        customer = await self._customer_call(ErpCustomer, "get_customer", path, customer_id)
        return mapping.to_customer(customer)

    async def get_contract_prices(self, customer_id: str) -> ContractPrices:
        path = f"/api/v1/customers/{quote(customer_id, safe='')}/item-prices"
        prices = await self._customer_call(ErpItemPrices, "get_contract_prices", path, customer_id)
        return mapping.to_contract_prices(prices)

    async def list_customers(self, offset: int = 0, limit: int = 100) -> CustomerPage:
        page = await self._http.get_json(
            ErpCustomerList, "list_customers", "/api/v1/customers", params={"offset": offset, "limit": limit}
        )
        return mapping.to_customer_page(page)

    async def list_contract_prices(self, offset: int = 0, limit: int = 100) -> ContractPricesPage:
        page = await self._http.get_json(
            ErpItemPricesList, "list_contract_prices", "/api/v1/item-prices", params={"offset": offset, "limit": limit}
        )
        return mapping.to_contract_prices_page(page)

    async def post_sales_order(self, order: SalesOrder) -> ErpOrderRef:
        """Idempotency key and ``externalRef`` are both the hub's order id: a retry books nothing new.
        Posts made at the same moment go together as one ``salesOrders/batch`` (``vendor_batch``)."""
        return await self._posts.call(order)

    async def _post_sales_order(self, order: SalesOrder) -> ErpOrderRef:
        body = await self._http.post(
            "post_sales_order",
            "/api/v1/salesOrders",
            mapping.to_sales_order_body(order),
            idempotency_key=order.order_id,
            span_attributes={"hub.order_id": order.order_id, "hub.channel": order.channel},
        )
        return self._order_ref(body)

    def _order_ref(self, body: bytes) -> ErpOrderRef:
        return mapping.to_order_ref(self._http.decode(body, ErpSalesOrder))

    async def find_sales_order(self, order_id: str) -> SalesOrderRecord | None:
        """CloudERP's search by external reference: at most one sales order per reference."""
        found = await self._http.get_json(ErpSalesOrderList, "find_sales_order", "/api/v1/salesOrders",
                                          params={"externalRef": order_id}, span_attributes={"hub.order_id": order_id})
        return mapping.to_sales_order_record(found.items[0]) if found.items else None

    async def create_credit_memo(self, memo: CreditMemoRequest) -> CreditMemoRef:
        """Idempotency key and ``externalRef`` are both the RMA id."""
        body = await self._http.post(
            "create_credit_memo",
            "/api/v1/creditMemos",
            mapping.to_credit_memo_body(memo),
            idempotency_key=memo.rma_id,
            span_attributes={"hub.rma_id": memo.rma_id, "hub.order_id": memo.order_id},
        )
        return mapping.to_credit_memo_ref(self._http.decode(body, ErpCreditMemo))

    async def void_credit_memo(self, credit_memo_id: str) -> None:
        """Voiding is idempotent at the ERP; an unknown memo is ``NotFound(code="unknown_credit_memo")``."""
        path = f"/api/v1/creditMemos/{quote(credit_memo_id, safe='')}/void"
        try:
            await self._http.post(
                "void_credit_memo",
                path,
                {},
                idempotency_key=f"void-{credit_memo_id}",
                span_attributes={"hub.credit_memo_id": credit_memo_id},
            )
        except NotFound as exc:
            raise NotFound(f"unknown credit memo {credit_memo_id}", code="unknown_credit_memo") from exc

    async def _customer_call(self, type: type[T], operation: str, path: str, customer_id: str) -> T:
        try:
            return await self._http.get_json(type, operation, path, span_attributes={"hub.customer_id": customer_id})
        except NotFound as exc:
            raise NotFound(f"unknown customer {customer_id}", code="unknown_customer") from exc
