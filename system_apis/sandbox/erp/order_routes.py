"""CloudERP transactions over HTTP: sales orders and credit memos, and their check views.

Vendor API (faulted) below ``/sandbox/erp/api/v1``; the views below
``/sandbox/erp`` are controls. A write answers 201 with the new record, or
200 with the first one when its ``Idempotency-Key`` or ``externalRef`` was
seen before. ``POST .../salesOrders/batch`` books up to 100 sales orders in one
request (``sandbox.bulk``), each as ``POST .../salesOrders`` would alone.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
from litestar import Request, Response, get, post
from litestar.params import Parameter

from shared.jsonbody import MalformedJson, decode_json

from system_apis.sandbox.bulk import BulkIn, BulkOut, BulkRequest, run_bulk
from system_apis.sandbox.erp.state import ErpBackend
from system_apis.sandbox.erp.errors import ErpUserError, RecordNotFound
from system_apis.sandbox.erp.schemas import ErpError, ErpErrorDetail
from system_apis.sandbox.erp.order_schemas import (
    CreditMemoIn,
    CreditMemoViews,
    ErpCreditMemo,
    ErpSalesOrder,
    ErpSalesOrderList,
    SalesOrderIn,
    SalesOrderViews,
)

T = TypeVar("T")


def decode_erp(body: bytes, type_: type[T]) -> T:
    """A request body as CloudERP reads it; anything else is ``ErpUserError`` (400)."""
    try:
        return decode_json(body, type_)
    except msgspec.ValidationError as exc:
        code = "MISSING_REQD_FLD" if "missing required field" in str(exc) else "INVALID_FLD_VALUE"
        raise ErpUserError(code, str(exc)) from exc
    except MalformedJson as exc:
        raise ErpUserError("INVALID_REQUEST", f"malformed JSON: {exc}") from exc


def _key(request: Request[Any, Any, Any]) -> str | None:
    return request.headers.get("Idempotency-Key") or None


def _answer(record: T, created: bool) -> Response[T]:
    return Response(record, status_code=201 if created else 200)


@post("/salesOrders")
async def post_sales_order(request: Request[Any, Any, Any], erp: ErpBackend) -> Response[ErpSalesOrder]:
    """Book a sales order, once per ``externalRef`` and per ``Idempotency-Key``."""
    body = decode_erp(await request.body(), SalesOrderIn)
    return _answer(*erp.transactions.post_sales_order(body, _key(request)))


@post("/salesOrders/batch", status_code=200)
async def post_sales_orders(request: Request[Any, Any, Any], erp: ErpBackend) -> BulkOut:
    """Book up to 100 sales orders, each once per ``externalRef`` and per its ``idempotencyKey``;
    one answer per request, in order (``sandbox.bulk``)."""
    bulk = decode_erp(await request.body(), BulkIn)

    def book(one: BulkRequest) -> Response[ErpSalesOrder]:
        return _answer(*erp.transactions.post_sales_order(decode_erp(bytes(one.body), SalesOrderIn), one.idempotency_key))

    return run_bulk(bulk.requests, book, {ErpUserError: user_error, RecordNotFound: record_not_found})


@get("/salesOrders")
async def find_sales_orders(erp: ErpBackend, external_ref: str = Parameter(query="externalRef")) -> ErpSalesOrderList:
    """Search by ``externalRef`` (required): the one sales order booked under it, or none."""
    found = erp.transactions.orders.find(ref=external_ref)
    return ErpSalesOrderList(items=[found] if found is not None else [], count=int(found is not None))


@get("/salesOrders/{sales_order_id:str}")
async def get_sales_order(erp: ErpBackend, sales_order_id: str) -> ErpSalesOrder:
    """One sales order."""
    return erp.transactions.sales_order(sales_order_id)


@post("/creditMemos")
async def post_credit_memo(request: Request[Any, Any, Any], erp: ErpBackend) -> Response[ErpCreditMemo]:
    """Book a credit memo, once per ``externalRef`` (the RMA) and per ``Idempotency-Key``."""
    body = decode_erp(await request.body(), CreditMemoIn)
    return _answer(*erp.transactions.create_credit_memo(body, _key(request)))


@get("/creditMemos/{credit_memo_id:str}")
async def get_credit_memo(erp: ErpBackend, credit_memo_id: str) -> ErpCreditMemo:
    """One credit memo."""
    return erp.transactions.credit_memo(credit_memo_id)


@post("/creditMemos/{credit_memo_id:str}/void", status_code=200)
async def void_credit_memo(erp: ErpBackend, credit_memo_id: str) -> ErpCreditMemo:
    """Void a credit memo; a void memo stays void (200 again)."""
    return erp.transactions.void_credit_memo(credit_memo_id)


@get("/sales-orders")
async def sales_order_view(
    erp: ErpBackend, external_ref: str | None = None, channel_order_ref: str | None = None
) -> SalesOrderViews:
    """Control: the sales orders booked, filtered by the hub's order id or the channel's ref."""
    return SalesOrderViews(items=erp.transactions.sales_order_views(external_ref, channel_order_ref))


@get("/credit-memos")
async def credit_memo_view(erp: ErpBackend, external_ref: str | None = None) -> CreditMemoViews:
    """Control: the credit memos booked, filtered by RMA id."""
    return CreditMemoViews(items=erp.transactions.credit_memo_views(external_ref))


def record_not_found(_: Request[Any, Any, Any] | None, exc: RecordNotFound) -> Response[ErpError]:
    """CloudERP's 404 body."""
    return Response(ErpError(error=ErpErrorDetail(code="RCRD_DSNT_EXIST", message=str(exc))), status_code=404)


def user_error(_: Request[Any, Any, Any] | None, exc: ErpUserError) -> Response[ErpError]:
    """CloudERP's 400 body, with the error code."""
    return Response(ErpError(error=ErpErrorDetail(code=exc.code, message=str(exc))), status_code=400)


TRANSACTION_API = (post_sales_order, post_sales_orders, find_sales_orders, get_sales_order, post_credit_memo, get_credit_memo,
                   void_credit_memo)
TRANSACTION_VIEWS = (sales_order_view, credit_memo_view)
