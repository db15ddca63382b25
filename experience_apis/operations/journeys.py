"""Admin API: journeys (CONTRACT section 7). Scope `admin` or `console`.

`GET /admin/v1/journeys?ref=<any identifier>`: every order and return that has
carried it (hub order id, channel order ref, PO number, Shopify order id or
webhook id, ERP sales order number, WMS fulfilment id, shipment id, tracking
number, RMA id, credit memo or refund id), each with its steps oldest first;
`{"items": []}` when none has. See docs/journeys.md.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter

from experience_apis.http import INJECTED
from experience_apis.operations.guards import OPERATOR
from process_apis.journeys.port import JourneyPort
from process_apis.journeys.schemas import Journeys
from shared.errors import ValidationFailed

JourneysPort = Annotated[JourneyPort, INJECTED]
Ref = Annotated[str | None, Parameter(description="Any identifier the order or return had (1 to 255 characters).")]
MAX_REF = 255


class JourneysController(Controller):
    path = "/admin/v1/journeys"
    tags = ["journeys"]
    guards = [OPERATOR]

    @get("/", operation_id="findJourneys")
    async def find_journeys(self, journeys: JourneysPort, ref: Ref = None) -> Journeys:
        """The timeline of every order and return that has carried `ref` (required)."""
        if not ref or len(ref) > MAX_REF:  # checked here: a missing parameter is a 422 like a bad one
            raise ValidationFailed(errors=[{"field": "ref", "message": f"required, 1 to {MAX_REF} characters"}])
        return await journeys.find(ref)
