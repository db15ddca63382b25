"""Admin API: the calling key itself (`GET /admin/v1/session`), so the console knows what to
offer: a `console` key gets the operator's views, an `admin` key everything. Scope `admin`
or `console`."""

from __future__ import annotations

import msgspec
from litestar import get

from experience_apis.http import CurrentPrincipal
from experience_apis.operations.guards import OPERATOR


class Session(msgspec.Struct, kw_only=True):
    consumer: str
    key_id: str | None
    scopes: list[str]
    plan: str
    admin: bool
    """Whether keys, plans and the other admin-only routes answer this key (else 403)."""


@get("/admin/v1/session", operation_id="getSession", tags=["operations"], guards=[OPERATOR])
async def get_session(principal: CurrentPrincipal) -> Session:
    """The key this request was made with: consumer, id, scopes and plan (never its secret)."""
    return Session(consumer=principal.consumer, key_id=principal.key_id, scopes=sorted(principal.scopes),
                   plan=principal.plan, admin="admin" in principal.scopes)
