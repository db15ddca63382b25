"""QuickBooks Online over HTTP: the Accounting API below ``/sandbox/quickbooks/v3/company``
and its check views below ``/sandbox/quickbooks``.

Vendor paths (``Authorization: Bearer <token>`` required; ``minorversion`` accepted):

    GET  /v3/company/{realmId}/query?query=select * from Item ...[&include=enhancedAllCustomFields]
    GET  /v3/company/{realmId}/{entity}/{id}
    POST /v3/company/{realmId}/{entity}[?requestid=...][&operation=void]

QBO's own limits (500 requests a minute, 10 at once, per realm) answer 429
(``limits``). Creates and voids answer 200 with ``{"<Entity>": {...}, "time"}``; faults are
``{"Fault": {"Error": [{"Message", "Detail", "code", "element"}], "type"}, "time"}``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import Parameter

from system_apis.quickbooks.vendor_schemas import Fault, FaultBody, FaultError
from system_apis.sandbox.quickbooks import records
from system_apis.sandbox.quickbooks.company import ENTITIES, QboFault, QuickBooksBackend, decode_body

_ENCODER = msgspec.json.Encoder(decimal_format="number")
_PREFIXES = {"Invoice": "INV", "SalesReceipt": "SR", "CreditMemo": "CM", "RefundReceipt": "RR"}
THROTTLED = FaultBody(fault=Fault(type="ThrottlingFault", error=[FaultError(
    message="message=ThrottleExceeded; errorCode=003001; statusCode=429", detail="The request limit was reached.",
    code="003001")]))


def _json(payload: Any, status: int = 200) -> Response[bytes]:
    return Response(content=_ENCODER.encode(payload), status_code=status, media_type="application/json")


def _company(request: Request[Any, Any, Any], company: QuickBooksBackend, realm_id: str) -> QuickBooksBackend:
    """The company the bearer token opens; QBO checks both on every call."""
    token = request.headers.get("Authorization", "")
    if not token.startswith("Bearer ") or not token[7:].strip():
        raise QboFault(401, "3200", "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                       "Token invalid or missing", "AUTHENTICATION")
    if realm_id != company.realm_id:
        raise QboFault(403, "120", "Authorization Failure", "AuthorizationFailure: no access to this company",
                       "AuthorizationFault")
    return company


def _entity(name: str) -> str:
    if name.lower() not in ENTITIES:
        raise QboFault(400, "500", "Unsupported Operation", f"Operation on {name} is not supported")
    return ENTITIES[name.lower()]


@get("/{realm_id:str}/query")
async def run_query(request: Request[Any, Any, Any], quickbooks: QuickBooksBackend, realm_id: str,
                    statement: str = Parameter(query="query", default=""), include: str | None = None) -> Response[bytes]:
    """The query endpoint: one page of one entity."""
    company = _company(request, quickbooks, realm_id)
    return _json(company.query(statement, include == "enhancedAllCustomFields"))


@get("/{realm_id:str}/{entity:str}/{entity_id:str}")
async def read(request: Request[Any, Any, Any], quickbooks: QuickBooksBackend, realm_id: str, entity: str,
               entity_id: str) -> Response[bytes]:
    """One entity by Id."""
    return _json(_company(request, quickbooks, realm_id).read(_entity(entity), entity_id))


@post("/{realm_id:str}/{entity:str}", status_code=200)
async def write(request: Request[Any, Any, Any], quickbooks: QuickBooksBackend, realm_id: str, entity: str,
                requestid: str | None = None, operation: str | None = None) -> Response[bytes]:
    """Create a transaction, or void one (``operation=void``); a repeated ``requestid`` replays the first answer."""
    company = _company(request, quickbooks, realm_id)
    replay = company.replayed(requestid)
    if replay is not None:
        return Response(content=replay[1], status_code=replay[0], media_type="application/json")
    name = _entity(entity)
    try:
        body = decode_body(await request.body())
        answer = company.void(name, body) if operation == "void" else company.create(name, body)
        status, content = 200, _ENCODER.encode(answer)
    except QboFault as fault:
        status, content = fault.status, _ENCODER.encode(_fault_body(fault))
    company.remember(requestid, status, content)
    return Response(content=content, status_code=status, media_type="application/json")


def _fault_body(fault: QboFault) -> dict[str, Any]:
    error = {"Message": fault.message, "Detail": fault.detail, "code": fault.code, "element": ""}
    return {"Fault": {"Error": [error], "type": fault.type}, "time": records.now()}


def render_record(record: dict[str, Any]) -> Response[bytes]:
    """A QBO record as JSON, money as numbers (the controls answer with it)."""
    return _json(record)


def render_fault(_: Request[Any, Any, Any], fault: QboFault) -> Response[bytes]:
    return _json(_fault_body(fault), fault.status)


# --- views (controls): what the company booked, in the hub's terms ------------------------


def _custom(record: dict[str, Any], name: str) -> str | None:
    return next((f.get("StringValue") for f in record.get("CustomField", []) if f.get("Name") == name), None)


def _money(amount: Decimal) -> str:
    return str(Decimal(amount).quantize(Decimal("0.01")))


def _view(company: QuickBooksBackend, entity: str, record: dict[str, Any]) -> dict[str, Any]:
    items = company.entities["Item"]
    void = record["TotalAmt"] == 0 and "Voided" in (record.get("PrivateNote") or "")
    return {
        "external_ref": _custom(record, "Hub Ref"), "channel_order_ref": _custom(record, "Channel Ref"),
        "erp_order_number": f"{_PREFIXES[entity]}-{record['Id']}", "entity": entity, "doc_number": record.get("DocNumber"),
        "customer_id": (record.get("CustomerRef") or {}).get("name"), "currency": record["CurrencyRef"]["value"],
        "lines": [{"sku": items[line["SalesItemLineDetail"]["ItemRef"]["value"]]["Sku"],
                   "quantity": int(line["SalesItemLineDetail"]["Qty"]),
                   "unit_price": _money(line["SalesItemLineDetail"]["UnitPrice"])} for line in record["Line"]],
        "total": _money(record["TotalAmt"]), "amount": _money(record["TotalAmt"]),
        "status": "void" if void else "open",
    }


def _views(company: QuickBooksBackend, entities: tuple[str, ...], **wanted: str | None) -> dict[str, Any]:
    views = [_view(company, e, r) for e in entities for r in company.entities[e].values()]
    return {"items": [v for v in views if all(value in (None, v[key]) for key, value in wanted.items())]}


@get("/sales-orders")
async def sales_order_view(quickbooks: QuickBooksBackend, external_ref: str | None = None,
                           channel_order_ref: str | None = None) -> Response[bytes]:
    """Control: the invoices and sales receipts booked, by the hub's order id or the channel's ref."""
    return _json(_views(quickbooks, ("Invoice", "SalesReceipt"), external_ref=external_ref,
                        channel_order_ref=channel_order_ref))


@get("/credit-memos")
async def credit_memo_view(quickbooks: QuickBooksBackend, external_ref: str | None = None) -> Response[bytes]:
    """Control: the credit memos and refund receipts booked, by RMA id; ``status`` open or void."""
    return _json(_views(quickbooks, ("CreditMemo", "RefundReceipt"), external_ref=external_ref))


VIEWS = (sales_order_view, credit_memo_view)
@get("/{realm_id:str}/companyinfo/{company_id:str}")
async def company_info(request: Request[Any, Any, Any], quickbooks: QuickBooksBackend, realm_id: str,
                       company_id: str) -> Response[bytes]:
    """``GET companyinfo/{realmId}``: the company's own record, QBO's usual connectivity check."""
    company = _company(request, quickbooks, realm_id)
    if company_id != company.realm_id:
        raise QboFault(400, "610", "Object Not Found", f"CompanyInfo {company_id} not found")
    return _json({"CompanyInfo": {"Id": company.realm_id, "CompanyName": "Commerce Hub Sandbox Co.",
                                  "Country": "US", "SyncToken": "0"}, "time": records.now()})

API = (run_query, company_info, read, write)
