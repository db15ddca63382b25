"""The legacy ERP over HTTP: its SOAP ``SalesService`` and nightly CSV exports below
``/sandbox/legacy_erp``, its check views, the controls every ERP sandbox shares (``controls.py``), and the ``BackendSpec``.

    POST /sandbox/legacy_erp/ws/SalesService          SOAP 1.1 (text/xml; SOAPAction)
    GET  /sandbox/legacy_erp/exports/{file}.csv        items, quantity_breaks, customers, contract_prices

Every SOAP fault answers HTTP 500, as SOAP 1.1 has it. The fault switch sits in
front, as the company's reverse proxy would: its throttle is a 429 with a small
JSON body, its outage a 503.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get, post

from system_apis.legacy_erp import soap
from system_apis.sandbox.backend import BackendSpec
from system_apis.sandbox.legacy_erp.controls import CONTROLS
from system_apis.sandbox.legacy_erp.company import ErpFault, LegacyErpBackend

XML = "text/xml; charset=utf-8"


class ProxyThrottled(msgspec.Struct, frozen=True):
    """The reverse proxy's answer over its request limit."""

    error: str = "too_many_requests"


def _fault(exc: ErpFault) -> Response[bytes]:
    return Response(content=soap.fault(exc.faultcode, str(exc), exc.code), status_code=500, media_type=XML)


@post("/ws/SalesService", status_code=200)
async def sales_service(request: Request[Any, Any, Any], legacy_erp: LegacyErpBackend) -> Response[bytes]:
    """One SOAP operation: authenticated by its WS-Security ``UsernameToken``, named by its body element."""
    try:
        root = soap.parse(await request.body())
        operation = soap.body_of(root)
    except soap.NotSoap as exc:
        return _fault(ErpFault("MALFORMED_REQUEST", str(exc)))
    if soap.credentials(root) != (legacy_erp.username, legacy_erp.password):
        return _fault(ErpFault("AUTHENTICATION_FAILED", "Invalid user name or password"))
    name = operation.tag.removeprefix(f"{{{soap.ERP_NS}}}")
    handler = legacy_erp.operations().get(name)
    if handler is None or operation.tag == name:
        return _fault(ErpFault("UNKNOWN_OPERATION", f"No operation {operation.tag}"))
    action = request.headers.get("SOAPAction", "").strip('"')
    if action and action != soap.SOAP_ACTION.format(name):
        return _fault(ErpFault("ACTION_MISMATCH", "SOAPAction does not name the body's operation"))
    try:
        fields = handler(operation)
    except ErpFault as exc:
        return _fault(exc)
    return Response(content=soap.envelope(f"{name}Response", fields), status_code=200, media_type=XML)


@get("/exports/{name:str}")
async def export(legacy_erp: LegacyErpBackend, name: str) -> Response[str]:
    """A nightly export file (the sandbox writes it as of now)."""
    content = legacy_erp.export(name)
    if content is None:
        return Response(content="no such export\n", status_code=404, media_type="text/plain")
    return Response(content=content, media_type="text/csv; charset=utf-8")


@get("/sales-orders")
async def sales_order_view(legacy_erp: LegacyErpBackend, external_ref: str | None = None,
                           channel_order_ref: str | None = None) -> dict[str, list]:
    """Control: the sales orders booked, by the hub's order id or the channel's ref."""
    return {"items": legacy_erp.sales_order_views(external_ref, channel_order_ref)}


@get("/credit-memos")
async def credit_memo_view(legacy_erp: LegacyErpBackend, external_ref: str | None = None) -> dict[str, list]:
    """Control: the credit memos booked, by RMA id; ``status`` open or void."""
    return {"items": legacy_erp.credit_memo_views(external_ref)}


LEGACY_ERP = BackendSpec(
    name="legacy_erp",
    api_path="",
    api_handlers=(sales_service, export),
    build=LegacyErpBackend,
    throttle_body=ProxyThrottled(),
    control_handlers=(sales_order_view, credit_memo_view, *CONTROLS),
)
