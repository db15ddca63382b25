"""Admin API: plans (CONTRACT section 7)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import get

from experience_apis.http import INJECTED, requires
from shared.settings import Plan


class PlanView(msgspec.Struct):
    name: str
    rate_per_second: float
    burst: int


class PlanList(msgspec.Struct):
    items: list[PlanView]


@get("/admin/v1/plans", operation_id="listPlans", tags=["plans"], guards=[requires("admin")])
async def list_plans(plans: Annotated[dict[str, Plan], INJECTED]) -> PlanList:
    return PlanList(items=[PlanView(name=n, rate_per_second=p.rate_per_second, burst=p.burst) for n, p in sorted(plans.items())])
