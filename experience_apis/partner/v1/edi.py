"""Partner v1 EDI (issue 13): X12 interchanges in, the documents the hub sent back out.

The body of an upload is the interchange itself (``Content-Type: application/edi-x12``),
and the answer is JSON: what the hub did with each 850 and the 997 and 855s it sent, raw
X12 included. An interchange rejected as a whole is a 422 problem (``edi_rejected``) that
names the segment and carries the 997 (or TA1) in ``acknowledgement``. Scope
`orders:write` to upload, `orders:read` to list; the credential's customer must be the
trading partner's (else 403 ``edi_unknown_partner``)."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Request, Response, get, post
from litestar.params import Parameter

from experience_apis.http import INJECTED, CurrentPrincipal, requires, requires_customer
from experience_apis.openapi import problems
from experience_apis.partner.v1.edi_schemas import DocumentList, DocumentOut, ReceiptOut
from process_apis.edi.port import EdiPort
from shared.errors import UnsupportedMediaType, ValidationFailed

PREFIX = "/v1/partner/edi"
Edi = Annotated[EdiPort, INJECTED]
MEDIA_TYPES = ("application/edi-x12", "application/edi")
UPLOAD_PROBLEMS = problems({
    400: "Not an X12 interchange: no ISA segment to read separators from (`edi_unreadable`).",
    403: "The credential lacks `orders:write` (`insufficient_scope`), is bound to no customer "
         "(`customer_required`), or the ISA sender is not this customer's trading partner (`edi_unknown_partner`).",
    415: "The body is not `application/edi-x12` (`unsupported_media_type`).",
    422: "The interchange was rejected (`edi_rejected`): `segment` and `detail` name what is wrong and "
         "`acknowledgement` carries the 997 (or TA1) sent back.",
})


@post(f"{PREFIX}/interchanges", operation_id="uploadInterchange", tags=["edi"], status_code=200,
      summary="Send an X12 interchange (850 purchase orders)", guards=[requires("orders:write"), requires_customer],
      responses=UPLOAD_PROBLEMS)
async def upload(request: Request, principal: CurrentPrincipal, edi: Edi) -> Response[ReceiptOut]:
    """Scope `orders:write`. The body is one X12 interchange. The answer lists each 850's outcome
    (`accepted`, `accepted_with_changes`, `rejected`, `duplicate`, `pending`) and the 997 and 855s sent;
    the same interchange (ISA13) again changes nothing and answers `replayed: true`."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in MEDIA_TYPES:
        raise UnsupportedMediaType("Send the interchange as the body with Content-Type: application/edi-x12.")
    receipt = await edi.receive(await request.body(), principal.customer_id)
    ReceiptOut.raise_if_rejected(receipt)
    return Response(ReceiptOut.of(receipt), status_code=200)


@get(f"{PREFIX}/documents", operation_id="listEdiDocuments", tags=["edi"], summary="X12 documents in and out",
     guards=[requires("orders:read"), requires_customer])
async def documents(
    principal: CurrentPrincipal,
    edi: Edi,
    limit: Annotated[int, Parameter(ge=1, le=200, description="Items per page, 1 to 200.")] = 50,
    cursor: Annotated[str | None, Parameter(max_length=40, description="`next_cursor` of the previous page.")] = None,
    doc_type: Annotated[Literal["850", "997", "TA1", "855", "856", "810"] | None, Parameter(
        query="type", description="Only this document type.")] = None,
) -> DocumentList:
    """Scope `orders:read`. The interchanges received from the customer's trading partners and the
    documents sent to them (997, TA1, 855, 856, 810), newest first, each with its raw X12."""
    if cursor is not None and not cursor.isdigit():
        raise ValidationFailed(errors=[{"field": "cursor", "message": "not a cursor this list gave"}])
    page = await edi.documents(principal.customer_id, limit, cursor, doc_type)  # type: ignore[arg-type]
    return DocumentList(items=[DocumentOut.of(d) for d in page.items], next_cursor=page.next_cursor)


HANDLERS = [upload, documents]
