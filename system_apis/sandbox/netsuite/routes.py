"""NetSuite REST web services below ``/sandbox/netsuite/services/rest``, and check views.

Vendor paths (``Authorization: Bearer <token>`` required):

    POST  /query/v1/suiteql?limit=&offset=     {"q": "SELECT ..."}, with Prefer: transient
    GET   /record/v1/{type}/{id | eid:externalId}
    PUT   /record/v1/{type}/eid:{externalId}   upsert; 204 with Location
    PATCH /record/v1/{type}/{id}               204 with Location

SuiteQL answers ``{"links", "count", "hasMore", "items", "offset", "totalResults"}``.
Errors are ``{"type", "title", "status", "o:errorDetails": [{"detail", "o:errorCode", ...}]}``;
the throttle is 429 ``CONCURRENCY_LIMIT_EXCEEDED``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec
from litestar import Request, Response, get, patch, post, put

from system_apis.netsuite.vendor_schemas import ErrorBody, ErrorDetail
from system_apis.sandbox.netsuite.account import NetSuiteAccount, NetSuiteError, invalid

_ENCODER = msgspec.json.Encoder(decimal_format="number")
_DECODER = msgspec.json.Decoder(float_hook=Decimal)
_TITLES = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests"}
_TYPES = {400: "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1",
          401: "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.2",
          404: "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.5",
          429: "https://www.rfc-editor.org/rfc/rfc6585.html#section-4"}
THROTTLED = ErrorBody(type=_TYPES[429], title=_TITLES[429], status=429, error_details=[ErrorDetail(
    detail="The request could not be processed because the concurrency limit of the account was exceeded.",
    error_code="CONCURRENCY_LIMIT_EXCEEDED")])


def _json(payload: Any, status: int = 200) -> Response[bytes]:
    return Response(content=_ENCODER.encode(payload), status_code=status, media_type="application/json")


def rows_answer(rows: list[dict[str, Any]]) -> Response[bytes]:
    """Rows as a SuiteQL page holds them (``items``, each with its ``links``), for the controls."""
    return _json({"items": [{"links": [], **row} for row in rows]})


def _error_body(error: NetSuiteError) -> dict[str, Any]:
    detail = {"detail": error.detail, "o:errorCode": error.code, **error.where}
    return {"type": _TYPES.get(error.status, _TYPES[400]), "title": _TITLES.get(error.status, "Error"),
            "status": error.status, "o:errorDetails": [detail]}


def render_error(_: Request[Any, Any, Any], error: NetSuiteError) -> Response[bytes]:
    return _json(_error_body(error), error.status)


def _account(request: Request[Any, Any, Any], netsuite: NetSuiteAccount) -> NetSuiteAccount:
    token = request.headers.get("Authorization", "")
    if not token.startswith("Bearer ") or not token[7:].strip():
        raise NetSuiteError(401, "INVALID_LOGIN", "Invalid login attempt.", **{"o:errorHeader": "Authorization"})
    return netsuite


async def _body(request: Request[Any, Any, Any]) -> dict[str, Any]:
    try:
        body = _DECODER.decode(await request.body())
    except msgspec.DecodeError as exc:
        raise invalid("The request body is not valid JSON.") from exc
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.")
    return body


def _self(request: Request[Any, Any, Any], record_type: str, record_id: str) -> str:
    return f"{str(request.base_url).rstrip('/')}/sandbox/netsuite/services/rest/record/v1/{record_type}/{record_id}"


@post("/query/v1/suiteql", status_code=200)
async def suiteql(request: Request[Any, Any, Any], netsuite: NetSuiteAccount, limit: int = 1000,
                  offset: int = 0) -> Response[bytes]:
    """One page of a SuiteQL statement's rows."""
    account = _account(request, netsuite)
    if "transient" not in request.headers.get("Prefer", ""):
        raise invalid("The Prefer header must be set to transient.", **{"o:errorHeader": "Prefer"})
    statement = (await _body(request)).get("q")
    if not isinstance(statement, str):
        raise invalid("The request body must have the query in q.", **{"o:errorPath": "q"})
    rows, total = account.suiteql(statement, limit, offset)
    here = f"{str(request.url).split('?')[0]}?limit={limit}&offset="
    links = [{"rel": "self", "href": f"{here}{offset}"}]
    more = offset + len(rows) < total
    if more:
        links.append({"rel": "next", "href": f"{here}{offset + limit}"})
    return _json({"links": links, "count": len(rows), "hasMore": more, "offset": offset, "totalResults": total,
                  "items": [{"links": [], **row} for row in rows]})


@get("/record/v1/{record_type:str}/{key:str}")
async def read(request: Request[Any, Any, Any], netsuite: NetSuiteAccount, record_type: str, key: str) -> Response[bytes]:
    """One record, its ``item`` sublist expanded."""
    record = _account(request, netsuite).read(record_type, key)
    return _json({"links": [{"rel": "self", "href": _self(request, record_type, record["id"])}], **record})


@put("/record/v1/{record_type:str}/{key:str}", status_code=204)
async def upsert(request: Request[Any, Any, Any], netsuite: NetSuiteAccount, record_type: str,
                 key: str) -> Response[None]:
    """Create or update the record under an external id."""
    record = _account(request, netsuite).upsert(record_type, key, await _body(request))
    return Response(None, status_code=204, headers={"Location": _self(request, record_type, record["id"])})


@patch("/record/v1/{record_type:str}/{key:str}", status_code=204)
async def update(request: Request[Any, Any, Any], netsuite: NetSuiteAccount, record_type: str,
                 key: str) -> Response[None]:
    """Change body fields or replace the ``item`` sublist of a record."""
    record = _account(request, netsuite).patch(record_type, key, await _body(request))
    return Response(None, status_code=204, headers={"Location": _self(request, record_type, record["id"])})


# --- views (controls): what the account booked, in the hub's terms --------------------------


def _money(amount: Decimal) -> str:
    return str(Decimal(amount).quantize(Decimal("0.01")))


def _view(record: dict[str, Any]) -> dict[str, Any]:
    lines = record["item"]["items"]
    void = record["total"] == 0 and record.get("memo") == "VOID"
    return {"external_ref": record["externalId"], "channel_order_ref": record.get("otherRefNum"),
            "erp_order_number": record["tranId"], "internal_id": record["id"],
            "customer_id": record["entity"]["refName"], "currency": (record.get("currency") or {}).get("refName"),
            "lines": [{"sku": line["item"]["refName"], "quantity": line["quantity"], "unit_price": _money(line["rate"])}
                      for line in lines],
            "total": _money(record["total"]), "amount": _money(record["total"]), "status": "void" if void else "open"}


def _views(account: NetSuiteAccount, record_type: str, **wanted: str | None) -> Response[bytes]:
    views = [_view(r) for r in account.records[record_type].values()]
    return _json({"items": [v for v in views if all(value in (None, v[key]) for key, value in wanted.items())]})


@get("/sales-orders")
async def sales_order_view(netsuite: NetSuiteAccount, external_ref: str | None = None,
                           channel_order_ref: str | None = None) -> Response[bytes]:
    """Control: the sales orders booked, by the hub's order id (external id) or the channel's ref."""
    return _views(netsuite, "salesOrder", external_ref=external_ref, channel_order_ref=channel_order_ref)


@get("/credit-memos")
async def credit_memo_view(netsuite: NetSuiteAccount, external_ref: str | None = None) -> Response[bytes]:
    """Control: the credit memos booked, by RMA id (external id); ``status`` open or void."""
    return _views(netsuite, "creditMemo", external_ref=external_ref)


VIEWS = (sales_order_view, credit_memo_view)
@get("/record/v1/metadata-catalog")
async def metadata_catalog(request: Request[Any, Any, Any], netsuite: NetSuiteAccount) -> Response[bytes]:
    """``GET record/v1/metadata-catalog``: the record types this account exposes over REST."""
    _account(request, netsuite)
    return _json({"items": [{"name": name, "links": []} for name in ("customer", "inventoryItem", "salesOrder",
                                                                     "creditMemo")]}, 200)

API = (suiteql, metadata_catalog, read, upsert, update)
