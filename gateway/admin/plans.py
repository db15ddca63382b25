"""Admin API: plans (CONTRACT section 7)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Response, get, put
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter

from experience_apis.http import INJECTED
from experience_apis.operations.guards import ADMIN
from gateway.plans.book import PlanBook
from shared.settings import Plan

Book = Annotated[PlanBook, INJECTED]
PlanName = Annotated[str, Parameter(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


class PlanView(msgspec.Struct):
    name: str
    rate_per_second: float
    burst: int


class PlanList(msgspec.Struct):
    items: list[PlanView]


class PlanSpec(msgspec.Struct, forbid_unknown_fields=True):
    rate_per_second: Annotated[float, msgspec.Meta(ge=0.001, le=1_000_000)]
    burst: Annotated[int, msgspec.Meta(ge=1, le=10_000_000)]


@get("/admin/v1/plans", operation_id="listPlans", tags=["plans"], guards=[ADMIN])
async def list_plans(book: Book) -> PlanList:
    plans = book.current()
    return PlanList(items=[PlanView(name=n, rate_per_second=p.rate_per_second, burst=p.burst) for n, p in sorted(plans.items())])


@put("/admin/v1/plans/{name:str}", operation_id="putPlan", tags=["plans"], guards=[ADMIN],
     responses={201: ResponseSpec(data_container=PlanView, description="The plan was created.")})
async def put_plan(name: PlanName, data: PlanSpec, book: Book) -> Response[PlanView]:
    """Create (201) or change (200) a plan; in force on every instance within 1 s."""
    created = await book.put(name, Plan(rate_per_second=data.rate_per_second, burst=data.burst))
    return Response(PlanView(name=name, rate_per_second=data.rate_per_second, burst=data.burst),
                    status_code=201 if created else 200)
