"""``ErpPort`` over the QuickBooks Online Accounting API (v3), and QBO's classifier.

Every call goes to ``/v3/company/{realmId}/...`` with ``minorversion``; the
OAuth 2.0 access token rides on the client as ``Authorization: Bearer``
(``auth_headers``). Reads are the query endpoint (``select * from Item ...
STARTPOSITION n MAXRESULTS m``); creates carry ``requestid`` (QBO answers a
repeated request id with the first answer and books nothing new). How the
hub's fields live in QBO is in ``mapping``'s docstring.
"""

from __future__ import annotations

import hashlib
from urllib.parse import quote as url_quote

import httpx
import msgspec

from shared import models as hub
from shared.errors import BackendError, NotFound
from shared.ops.probes import ProbeResult
from system_apis.quickbooks import mapping
from system_apis.quickbooks.mapping import BACKEND, quote
from system_apis.quickbooks.vendor_schemas import (
    Customer,
    FaultBody,
    QueryAnswer,
    QueryResponse,
    Transaction,
    TransactionAnswer,
    TransactionBody,
    VoidBody,
    encode_body,
)
from system_apis.vendor_http import VendorHttp, raise_vendor_error

SANDBOX_REALM = "9130357766900001"
SANDBOX_ACCESS_TOKEN = "qbo_sandbox_access_token"
MINOR_VERSION = 75  # the lowest QBO still honours (1-74 are answered as 75 since August 2025)
MAX_RESULTS = 1000  # QBO's cap on MAXRESULTS
THROTTLE_WINDOW = 60.0  # QBO counts 500 requests a minute per realm: a 429 without Retry-After waits it out
THROTTLE_CODES = frozenset({"3001", "003001"})  # ThrottleExceeded
DUPLICATE_DOC = "6140"  # Duplicate Document Number Error
OBJECT_NOT_FOUND = "610"
REQUEST_ID_MAX = 50


def auth_headers(access_token: str = SANDBOX_ACCESS_TOKEN) -> dict[str, str]:
    """The headers every QBO call carries (set them on the connection's ``httpx.AsyncClient``)."""
    return {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}


def classify(response: httpx.Response) -> None:
    """QBO's answers in the hub's error tree; the fault's ``code`` goes along as ``vendor_code``,
    its ``Message`` and ``Detail`` never do.

        2xx without a Fault -> fine       429, or a ThrottleExceeded fault -> BackendThrottled
        5xx -> BackendUnavailable         404, or 610 Object Not Found on a read -> NotFound
        other (a Fault in a 200 too) -> BackendError (permanent)
    """
    status = response.status_code
    faulted = response.content[:16].lstrip().startswith(b'{"Fault"')
    if status < 300 and not faulted:
        return
    code = _fault_code(response)
    raise_vendor_error(BACKEND, response, code, throttled=status == 429 or code in THROTTLE_CODES,
                       not_found=status == 404 or (code == OBJECT_NOT_FOUND and response.request.method == "GET"),
                       default_wait=THROTTLE_WINDOW)


def _fault_code(response: httpx.Response) -> str | None:
    try:
        errors = msgspec.json.decode(response.content, type=FaultBody).fault.error
    except msgspec.DecodeError:
        return None
    return errors[0].code if errors else None


def _request_id(key: str) -> str:
    """QBO takes request ids of at most 50 characters: a longer key goes as its digest."""
    return key if len(key) <= REQUEST_ID_MAX else hashlib.sha256(key.encode()).hexdigest()[:40]


class QuickBooksErpAdapter:
    """QuickBooks Online behind ``ErpPort``; build its ``VendorHttp`` with ``classify`` and ``auth_headers``.

    QBO Ids never change, so the Ids found for SKUs and customers are kept for the writes.
    """

    def __init__(self, http: VendorHttp, *, realm_id: str = SANDBOX_REALM, minor_version: int = MINOR_VERSION,
                 currency: str = "USD", refund_account_id: str = "35") -> None:
        self._http = http
        self._base = f"/v3/company/{url_quote(realm_id, safe='')}"
        self._company_info = f"{self._base}/companyinfo/{url_quote(realm_id, safe='')}"
        self._minor = minor_version
        self._currency = currency
        self._refund_account = refund_account_id
        self._item_ids: dict[str, str] = {}
        self._customer_ids: dict[str, str] = {}

    async def probe(self) -> ProbeResult:
        """Health: ``GET /v3/company/{realmId}/companyinfo/{realmId}``, the company's own record."""
        return await self._http.probe("GET", self._company_info, params={"minorversion": self._minor})

    async def get_item(self, sku: str) -> hub.Item:
        found = await self._query("get_item", f"select * from Item where Sku = {quote(sku)} and Active in (true, false)",
                                  {"hub.sku": sku})
        if not found.item:
            raise NotFound(f"unknown SKU {sku}", code="unknown_sku")
        return mapping.to_item(found.item[0], self._currency)

    async def list_items(self, offset: int = 0, limit: int = 100) -> hub.ItemPage:
        asked = min(limit, MAX_RESULTS)
        page = await self._query("list_items", "select * from Item where Active in (true, false) orderby Sku"
                                 f" startposition {offset + 1} maxresults {asked}")
        return hub.ItemPage(items=tuple(mapping.to_item(i, self._currency) for i in page.item),
                            next_offset=mapping.next_offset(offset, len(page.item), asked))

    async def get_customer(self, customer_id: str) -> hub.Customer:
        return mapping.to_customer(await self._customer("get_customer", customer_id))

    async def get_contract_prices(self, customer_id: str) -> hub.ContractPrices:
        return mapping.to_contract_prices(await self._customer("get_contract_prices", customer_id))

    async def list_customers(self, offset: int = 0, limit: int = 100) -> hub.CustomerPage:
        customers, more = await self._customer_page("list_customers", offset, limit)
        return hub.CustomerPage(items=tuple(mapping.to_customer(c) for c in customers), next_offset=more)

    async def list_contract_prices(self, offset: int = 0, limit: int = 100) -> hub.ContractPricesPage:
        customers, more = await self._customer_page("list_contract_prices", offset, limit)
        return hub.ContractPricesPage(items=tuple(mapping.to_contract_prices(c) for c in customers), next_offset=more)

    async def post_sales_order(self, order: hub.SalesOrder) -> hub.ErpOrderRef:
        """An Invoice for a customer, a SalesReceipt for a guest; ``requestid`` is the order id, so a
        retry answers the first one. A second request id for the same order meets the ``DocNumber``
        already taken (6140) and finds the first one."""
        attrs = {"hub.order_id": order.order_id, "hub.channel": order.channel}
        customer_id = await self._customer_id(order.customer_id)
        item_ids = await self._resolve_items([line.sku for line in order.lines])
        entity = "Invoice" if customer_id else "SalesReceipt"
        body = mapping.to_sales_body(order, customer_id, item_ids)
        entity, txn = await self._create_once("post_sales_order", entity, body, order.order_id, attrs,
                                              ("Invoice", "SalesReceipt"))
        return hub.ErpOrderRef(erp_order_number=mapping.erp_number(entity, txn))

    async def find_sales_order(self, order_id: str) -> hub.SalesOrderRecord | None:
        found = await self._find(("Invoice", "SalesReceipt"), order_id, "find_sales_order", {"hub.order_id": order_id})
        return mapping.to_sales_order_record(found[0], found[1], order_id) if found else None

    async def create_credit_memo(self, memo: hub.CreditMemoRequest) -> hub.CreditMemoRef:
        """A CreditMemo for a customer, a RefundReceipt for a guest; idempotent on the RMA id as above."""
        attrs = {"hub.rma_id": memo.rma_id, "hub.order_id": memo.order_id}
        customer_id = await self._customer_id(memo.customer_id)
        item_ids = await self._resolve_items([line.sku for line in memo.lines])
        entity = "CreditMemo" if customer_id else "RefundReceipt"
        body = mapping.to_credit_body(memo, customer_id, item_ids, self._refund_account)
        entity, txn = await self._create_once("create_credit_memo", entity, body, memo.rma_id, attrs,
                                              ("CreditMemo", "RefundReceipt"))
        return hub.CreditMemoRef(credit_memo_id=mapping.erp_number(entity, txn))

    async def void_credit_memo(self, credit_memo_id: str) -> None:
        """Read it for its ``SyncToken``, then ``operation=void``; a void memo is left alone."""
        parsed = mapping.parse_erp_number(credit_memo_id)
        if parsed is None or parsed[0] not in ("CreditMemo", "RefundReceipt"):
            raise NotFound(f"unknown credit memo {credit_memo_id}", code="unknown_credit_memo")
        entity, entity_id = parsed
        attrs = {"hub.credit_memo_id": credit_memo_id}
        path = f"{self._base}/{entity.lower()}/{entity_id}"
        try:
            answer = await self._http.get_json(TransactionAnswer, "read_credit_memo", path,
                                               params={"minorversion": self._minor}, span_attributes=attrs)
        except NotFound as exc:
            raise NotFound(f"unknown credit memo {credit_memo_id}", code="unknown_credit_memo") from exc
        txn = self._entity(answer)
        if mapping.is_void(txn):
            return
        key = _request_id(f"void-{credit_memo_id}-{txn.sync_token}")
        await self._http.post("void_credit_memo", f"{self._base}/{entity.lower()}?{self._write_params(key)}&operation=void",
                              encode_body(VoidBody(id=txn.id, sync_token=txn.sync_token)), idempotency_key=key,
                              span_attributes=attrs)

    # --- helpers ------------------------------------------------------------------------

    async def _query(self, operation: str, statement: str, attrs: dict[str, str] | None = None,
                     *, custom_fields: bool = False) -> QueryResponse:
        params = {"query": statement, "minorversion": self._minor}
        if custom_fields:
            params["include"] = "enhancedAllCustomFields"
        answer = await self._http.get_json(QueryAnswer, operation, f"{self._base}/query", params=params,
                                           span_attributes=attrs)
        return answer.query_response

    async def _customer(self, operation: str, customer_id: str) -> Customer:
        found = await self._query(operation, f"select * from Customer where DisplayName = {quote(customer_id)}",
                                  {"hub.customer_id": customer_id}, custom_fields=True)
        if not found.customer:
            raise NotFound(f"unknown customer {customer_id}", code="unknown_customer")
        self._customer_ids[customer_id] = found.customer[0].id
        return found.customer[0]

    async def _customer_page(self, operation: str, offset: int, limit: int) -> tuple[list[Customer], int | None]:
        asked = min(limit, MAX_RESULTS)
        page = await self._query(operation, f"select * from Customer orderby DisplayName startposition {offset + 1}"
                                 f" maxresults {asked}", custom_fields=True)
        return page.customer, mapping.next_offset(offset, len(page.customer), asked)

    async def _customer_id(self, customer_id: str | None) -> str | None:
        if customer_id is None:
            return None
        if customer_id not in self._customer_ids:
            try:
                await self._customer("resolve_customer", customer_id)
            except NotFound as exc:
                raise BackendError("QuickBooks has no customer for this transaction", backend=BACKEND) from exc
        return self._customer_ids[customer_id]

    async def _resolve_items(self, skus: list[str]) -> dict[str, str]:
        missing = sorted({sku for sku in skus if sku not in self._item_ids})
        if missing:
            found = await self._query("resolve_items", f"select * from Item where Sku in ({', '.join(map(quote, missing))})"
                                      f" maxresults {MAX_RESULTS}")
            self._item_ids.update({i.sku: i.id for i in found.item if i.sku})
        if any(sku not in self._item_ids for sku in skus):
            raise BackendError("QuickBooks has no active item for a line of this transaction", backend=BACKEND)
        return {sku: self._item_ids[sku] for sku in skus}

    def _write_params(self, request_id: str) -> str:
        return f"requestid={url_quote(request_id, safe='')}&minorversion={self._minor}"

    async def _create_once(self, operation: str, entity: str, body: TransactionBody, hub_id: str,
                           attrs: dict[str, str], kinds: tuple[str, str]) -> tuple[str, Transaction]:
        key = _request_id(hub_id)
        try:
            raw = await self._http.post(operation, f"{self._base}/{entity.lower()}?{self._write_params(key)}",
                                        encode_body(body), idempotency_key=key, span_attributes=attrs)
        except BackendError as exc:
            if exc.extra.get("vendor_code") != DUPLICATE_DOC:
                raise
            found = await self._find(kinds, hub_id, operation, attrs)
            if found is None:
                raise
            return found
        return entity, self._entity(self._http.decode(raw, TransactionAnswer))

    async def _find(self, kinds: tuple[str, ...], hub_id: str, operation: str,
                    attrs: dict[str, str]) -> tuple[str, Transaction] | None:
        """The transaction booked for ``hub_id``: its ``DocNumber`` found, its ``Hub Ref`` checked."""
        for entity in kinds:
            found = await self._query(operation, f"select * from {entity} where DocNumber = "
                                      f"{quote(mapping.doc_number(hub_id))}", attrs)
            for txn in found.transactions(entity):
                if mapping.hub_ref(txn) == hub_id:
                    return entity, txn
        return None

    def _entity(self, answer: TransactionAnswer) -> Transaction:
        txn = answer.entity()
        if txn is None:
            raise mapping.unexpected("an answer without its transaction")
        return txn
