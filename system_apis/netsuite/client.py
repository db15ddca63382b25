"""``ErpPort`` over NetSuite's REST web services, and NetSuite's classifier.

Reads are SuiteQL (``POST /services/rest/query/v1/suiteql?limit=&offset=`` with
``Prefer: transient``; pages end when ``hasMore`` is false). Writes go to the
record service as upserts by external id (``PUT /services/rest/record/v1/
salesOrder/eid:{order id}``): NetSuite's own idempotent path, since its
``X-NetSuite-Idempotency-Key`` only applies to asynchronous requests. The OAuth
2.0 access token rides on the client as ``Authorization: Bearer``
(``auth_headers``). How the hub's fields live in NetSuite is in ``mapping``.
"""

from __future__ import annotations

from collections.abc import Callable
from math import gcd
from typing import Any, TypeVar

import httpx
import msgspec

from shared import models as hub
from shared.errors import BackendError, NotFound
from shared.ops.probes import ProbeResult
from system_apis.netsuite import mapping
from system_apis.netsuite.mapping import BACKEND, quote
from system_apis.netsuite.vendor_schemas import (
    CustomerPriceRow,
    CustomerRow,
    ErrorBody,
    IdName,
    ItemKey,
    ItemRow,
    Line,
    PriceRow,
    Ref,
    Sublist,
    SuiteQlPage,
    TransactionBody,
    TransactionRecord,
    VoidBody,
    encode_body,
)
from system_apis.vendor_http import VendorHttp, raise_vendor_error

Row = TypeVar("Row")
SANDBOX_ACCESS_TOKEN = "netsuite_sandbox_access_token"
RECORDS = "/services/rest/record/v1"
SUITEQL = "/services/rest/query/v1/suiteql"
MAX_LIMIT = 1000  # SuiteQL's page size cap
THROTTLE_WAIT = 1.0  # a concurrency slot frees when any call of the account ends; NetSuite sends no Retry-After
THROTTLE_CODES = frozenset({"CONCURRENCY_LIMIT_EXCEEDED", "REQUEST_LIMIT_EXCEEDED", "SSS_REQUEST_LIMIT_EXCEEDED"})
ITEM_COLUMNS = "id, itemid, displayname, isinactive, custitem_hub_final_sale"
CUSTOMER_COLUMNS = "id, entityid, companyname, terms, currency, creditlimit, creditholdoverride"


def auth_headers(access_token: str = SANDBOX_ACCESS_TOKEN) -> dict[str, str]:
    """The headers every NetSuite call carries (set them on the connection's ``httpx.AsyncClient``)."""
    return {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}


def classify(response: httpx.Response) -> None:
    """NetSuite's answers in the hub's error tree; the first ``o:errorCode`` goes along as
    ``vendor_code``, the ``detail`` never does.

        2xx -> fine                 429, or a concurrency/request limit code -> BackendThrottled
        5xx -> BackendUnavailable   404 -> NotFound        other -> BackendError (permanent)
    """
    status = response.status_code
    if status < 300:
        return
    code = _error_code(response)
    raise_vendor_error(BACKEND, response, code, throttled=status == 429 or code in THROTTLE_CODES,
                       not_found=status == 404, default_wait=THROTTLE_WAIT)


def _error_code(response: httpx.Response) -> str | None:
    try:
        details = msgspec.json.decode(response.content, type=ErrorBody).error_details
    except msgspec.DecodeError:
        return None
    return details[0].error_code if details else None


class NetSuiteErpAdapter:
    """NetSuite behind ``ErpPort``; build its ``VendorHttp`` with ``classify`` and ``auth_headers``.

    Internal ids never change, so those found for SKUs, customers, terms and currencies are kept.
    """

    def __init__(self, http: VendorHttp, *, guest_customer: str = "WEB-GUEST", price_level: str = "1",
                 currency: str = "USD") -> None:
        self._http = http
        self._guest = guest_customer
        self._level = price_level
        self._currency = currency
        self._item_ids: dict[str, str] = {}
        self._customer_ids: dict[str, str] = {}
        self._lists: dict[str, dict[str, str]] = {}

    async def probe(self) -> ProbeResult:
        """Health: ``GET /services/rest/record/v1/metadata-catalog``, the record types the account exposes."""
        return await self._http.probe("GET", f"{RECORDS}/metadata-catalog")

    async def get_item(self, sku: str) -> hub.Item:
        rows = await self._rows("get_item", f"SELECT {ITEM_COLUMNS} FROM item WHERE itemid = {quote(sku)}", ItemRow)
        if not rows:
            raise NotFound(f"unknown SKU {sku}", code="unknown_sku")
        return (await self._items("get_item", rows))[0]

    async def list_items(self, offset: int = 0, limit: int = 100) -> hub.ItemPage:
        page, more = await self._page("list_items", f"SELECT {ITEM_COLUMNS} FROM item ORDER BY itemid", ItemRow,
                                      offset, limit)
        return hub.ItemPage(items=tuple(await self._items("list_items", page.items)), next_offset=more)

    async def get_customer(self, customer_id: str) -> hub.Customer:
        return await self._to_customer(await self._customer("get_customer", customer_id))

    async def get_contract_prices(self, customer_id: str) -> hub.ContractPrices:
        row = await self._customer("get_contract_prices", customer_id)
        return (await self._contract_prices("get_contract_prices", [row]))[0]

    async def list_customers(self, offset: int = 0, limit: int = 100) -> hub.CustomerPage:
        rows, more = await self._customer_page("list_customers", offset, limit)
        return hub.CustomerPage(items=tuple([await self._to_customer(r) for r in rows]), next_offset=more)

    async def list_contract_prices(self, offset: int = 0, limit: int = 100) -> hub.ContractPricesPage:
        rows, more = await self._customer_page("list_contract_prices", offset, limit)
        return hub.ContractPricesPage(items=tuple(await self._contract_prices("list_contract_prices", rows)),
                                      next_offset=more)

    async def post_sales_order(self, order: hub.SalesOrder) -> hub.ErpOrderRef:
        """Upsert by external id; a sales order already under it is answered and left alone."""
        record = await self._book("salesOrder", order.order_id, order.customer_id, order.lines, order.currency,
                                  lambda entity, currency, items: mapping.to_sales_order(order, entity, currency, items),
                                  "post_sales_order", {"hub.order_id": order.order_id, "hub.channel": order.channel})
        return hub.ErpOrderRef(erp_order_number=record.tran_id)

    async def find_sales_order(self, order_id: str) -> hub.SalesOrderRecord | None:
        key = f"eid:{mapping.external_id(order_id)}"
        record = await self._record("salesOrder", key, "find_sales_order", {"hub.order_id": order_id})
        if record is None:
            return None
        currency = await self._list("currency", "symbol")
        return hub.SalesOrderRecord(order_id=order_id, erp_order_number=record.tran_id, total=record.total,
                                    currency=currency.get(record.currency.id if record.currency else "", self._currency))

    async def create_credit_memo(self, memo: hub.CreditMemoRequest) -> hub.CreditMemoRef:
        """Upsert by external id (the RMA id), as sales orders."""
        record = await self._book("creditMemo", memo.rma_id, memo.customer_id, memo.lines, memo.currency,
                                  lambda entity, currency, items: mapping.to_credit_memo(memo, entity, currency, items),
                                  "create_credit_memo", {"hub.rma_id": memo.rma_id, "hub.order_id": memo.order_id})
        return hub.CreditMemoRef(credit_memo_id=f"{mapping.MEMO_PREFIX}{record.id}")

    async def void_credit_memo(self, credit_memo_id: str) -> None:
        """Memo ``VOID`` and every line at rate 0 (NetSuite's void without reversing journals);
        a memo already void is left alone."""
        internal = mapping.memo_internal_id(credit_memo_id)
        attrs = {"hub.credit_memo_id": credit_memo_id}
        record = await self._record("creditMemo", internal, "read_credit_memo", attrs) if internal else None
        if record is None:
            raise NotFound(f"unknown credit memo {credit_memo_id}", code="unknown_credit_memo")
        if record.memo == "VOID" and record.total == 0:
            return
        lines = record.item.items if record.item else []
        body = VoidBody(memo="VOID", item=Sublist(items=[Line(item=Ref(id=line.item.id), quantity=line.quantity,
                                                              rate=line.rate * 0) for line in lines]))
        await self._http.put("void_credit_memo", f"{RECORDS}/creditMemo/{internal}", encode_body(body),
                             method="PATCH", span_attributes=attrs)

    # --- SuiteQL ------------------------------------------------------------------------

    async def _suiteql(self, operation: str, statement: str, row: type[Row], offset: int, limit: int,
                       attrs: dict[str, str] | None = None) -> SuiteQlPage[Row]:
        body = msgspec.json.encode({"q": statement})
        raw = await self._http.post_raw(operation, f"{SUITEQL}?limit={limit}&offset={offset}", body, retry=True,
                                        headers={"Content-Type": "application/json", "Prefer": "transient"},
                                        span_attributes=attrs)
        return self._http.decode(raw, SuiteQlPage[row])  # type: ignore[valid-type]

    async def _rows(self, operation: str, statement: str, row: type[Row], attrs: dict[str, str] | None = None) -> list[Row]:
        """Every row of a statement, page after page."""
        rows: list[Row] = []
        while True:
            page = await self._suiteql(operation, statement, row, len(rows), MAX_LIMIT, attrs)
            rows += page.items
            if not page.has_more or not page.items:
                return rows

    async def _page(self, operation: str, statement: str, row: type[Row], offset: int,
                    limit: int) -> tuple[SuiteQlPage[Row], int | None]:
        """One page at any offset: SuiteQL wants the offset a multiple of the limit, so an offset
        off that grid asks for a smaller page (their greatest common divisor)."""
        asked = max(1, min(limit, MAX_LIMIT))
        if offset % asked:
            asked = gcd(offset, asked)
        page = await self._suiteql(operation, statement, row, offset, asked)
        return page, (offset + len(page.items) if page.has_more and page.items else None)

    async def _items(self, operation: str, rows: list[ItemRow]) -> list[hub.Item]:
        if not rows:
            return []
        ids = ", ".join(quote(r.id) for r in rows)
        prices = await self._rows(operation, f"SELECT item, quantity, unitprice FROM pricing WHERE pricelevel = "
                                  f"{quote(self._level)} AND item IN ({ids})", PriceRow)
        by_item: dict[str, list[PriceRow]] = {}
        for price in prices:
            by_item.setdefault(price.item, []).append(price)
        self._item_ids.update({r.itemid: r.id for r in rows})
        return [mapping.to_item(r, by_item.get(r.id, []), self._currency) for r in rows]

    async def _customer(self, operation: str, customer_id: str) -> CustomerRow:
        rows = await self._rows(operation, f"SELECT {CUSTOMER_COLUMNS} FROM customer WHERE entityid = "
                                f"{quote(customer_id)} AND isinactive = 'F'", CustomerRow,
                                {"hub.customer_id": customer_id})
        if not rows or customer_id == self._guest:
            raise NotFound(f"unknown customer {customer_id}", code="unknown_customer")
        self._customer_ids[customer_id] = rows[0].id
        return rows[0]

    async def _customer_page(self, operation: str, offset: int, limit: int) -> tuple[list[CustomerRow], int | None]:
        page, more = await self._page(operation, f"SELECT {CUSTOMER_COLUMNS} FROM customer WHERE isinactive = 'F' "
                                      f"AND entityid <> {quote(self._guest)} ORDER BY entityid", CustomerRow,
                                      offset, limit)
        return page.items, more

    async def _to_customer(self, row: CustomerRow) -> hub.Customer:
        return mapping.to_customer(row, await self._list("term", "name"), await self._list("currency", "symbol"))

    async def _contract_prices(self, operation: str, customers: list[CustomerRow]) -> list[hub.ContractPrices]:
        if not customers:
            return []
        ids = ", ".join(quote(c.id) for c in customers)
        rows = await self._rows(operation, f"SELECT customer, item, price FROM customeritempricing WHERE customer IN "
                                f"({ids})", CustomerPriceRow)
        skus = await self._skus(operation, sorted({r.item for r in rows}))
        prices: dict[str, dict[str, Any]] = {c.id: {} for c in customers}
        for r in rows:
            prices[r.customer][skus[r.item]] = r.price
        return [hub.ContractPrices(customer_id=c.entityid, prices=prices[c.id]) for c in customers]

    async def _skus(self, operation: str, item_ids: list[str]) -> dict[str, str]:
        known = {v: k for k, v in self._item_ids.items()}
        missing = [i for i in item_ids if i not in known]
        if missing:
            found = await self._rows(operation, "SELECT id, itemid FROM item WHERE id IN "
                                     f"({', '.join(map(quote, missing))})", ItemKey)
            self._item_ids.update({r.itemid: r.id for r in found})
            known.update({r.id: r.itemid for r in found})
        if any(i not in known for i in item_ids):
            raise mapping.unexpected("a contract price for an item NetSuite does not list")
        return {i: known[i] for i in item_ids}

    async def _list(self, table: str, column: str) -> dict[str, str]:
        """A small list record (``term`` names, ``currency`` symbols) by internal id, read once."""
        if table not in self._lists:
            rows = await self._rows(f"read_{table}", f"SELECT id, {column} FROM {table}", IdName)
            self._lists[table] = {r.id: getattr(r, column) or "" for r in rows}
        return self._lists[table]

    # --- writes -------------------------------------------------------------------------

    async def _currency_id(self, symbol: str) -> str:
        ids = {v: k for k, v in (await self._list("currency", "symbol")).items()}
        if symbol not in ids:
            raise BackendError(f"NetSuite has no currency {symbol}", backend=BACKEND)
        return ids[symbol]

    async def _entity_id(self, customer_id: str | None) -> str:
        wanted = customer_id or self._guest
        if wanted not in self._customer_ids:
            try:
                if customer_id is None:
                    rows = await self._rows("resolve_customer", f"SELECT id, entityid FROM customer WHERE entityid = "
                                            f"{quote(self._guest)}", CustomerRow)
                    self._customer_ids[wanted] = rows[0].id
                else:
                    await self._customer("resolve_customer", customer_id)
            except (NotFound, IndexError) as exc:
                raise BackendError("NetSuite has no customer for this transaction", backend=BACKEND) from exc
        return self._customer_ids[wanted]

    async def _resolve_items(self, skus: list[str]) -> dict[str, str]:
        missing = sorted({sku for sku in skus if sku not in self._item_ids})
        if missing:
            found = await self._rows("resolve_items", "SELECT id, itemid FROM item WHERE isinactive = 'F' AND itemid IN "
                                     f"({', '.join(map(quote, missing))})", ItemKey)
            self._item_ids.update({r.itemid: r.id for r in found})
        if any(sku not in self._item_ids for sku in skus):
            raise BackendError("NetSuite has no active item for a line of this transaction", backend=BACKEND)
        return {sku: self._item_ids[sku] for sku in skus}

    async def _record(self, record_type: str, key: str, operation: str,
                      attrs: dict[str, str]) -> TransactionRecord | None:
        try:
            return await self._http.get_json(TransactionRecord, operation, f"{RECORDS}/{record_type}/{key}",
                                             params={"expandSubResources": "true"}, span_attributes=attrs)
        except NotFound:
            return None

    async def _book(self, record_type: str, hub_id: str, customer_id: str | None, lines: tuple[hub.OrderLine, ...],
                    currency: str, build: Callable[[str, str, dict[str, str]], TransactionBody], operation: str,
                    attrs: dict[str, str]) -> TransactionRecord:
        """The record under the hub's id: read first and upserted only when absent, so a retry never
        overwrites a record the company has changed since."""
        key = f"eid:{mapping.external_id(hub_id)}"
        record = await self._record(record_type, key, operation, attrs)
        if record is not None:
            return record
        entity = await self._entity_id(customer_id)
        items = await self._resolve_items([line.sku for line in lines])
        body = build(entity, await self._currency_id(currency), items)
        await self._http.put(operation, f"{RECORDS}/{record_type}/{key}", encode_body(body), span_attributes=attrs)
        record = await self._record(record_type, key, operation, attrs)
        if record is None:
            raise mapping.unexpected(f"the {record_type} upserted is not there")
        return record
