"""The partner experience API, one app per version."""

from __future__ import annotations

from typing import Any

from litestar import Litestar

from experience_apis.http import experience_app
from shared.identity import API_KEY, OAUTH
from experience_apis.order_intake import OrderIntake
from experience_apis.orders import PartnerOrderIn
from experience_apis.partner.v1.edi import HANDLERS as EDI
from experience_apis.partner.v1.routes import HANDLERS as V1
from experience_apis.partner.v1.webhook_events import webhooks_section
from experience_apis.partner.v1.webhooks import HANDLERS as WEBHOOKS


def create_partner_v1(ports: dict[str, object] | None = None, internal_secret: str = "", **options: Any) -> Litestar:
    """`options`: `versions` and `successor_paths` of `experience_app`."""
    app = experience_app(api="partner", version="v1", handlers=V1 + WEBHOOKS + EDI, ports=ports,
                         ports_used=["pricing", "orders", "returns", "webhooks", "edi"], internal_secret=internal_secret,
                         credentials=frozenset({API_KEY, OAUTH}), **options)
    app.state.openapi_webhooks = webhooks_section()
    return OrderIntake.wrap(app, prefix="/v1/partner", channel="partner", body=PartnerOrderIn, customer_required=True,
                             complete=lambda data: data.po_number is not None)
