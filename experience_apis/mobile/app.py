"""The mobile experience API, one app per version."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.di import Provide

from experience_apis.http import experience_app
from experience_apis.order_intake import OrderIntake
from experience_apis.mobile.v1.routes import HANDLERS as V1
from experience_apis.mobile.v1.schemas import HIGH_STOCK_FROM, StockLevels
from shared.identity import JWT


def create_mobile_v1(ports: dict[str, object] | None = None, internal_secret: str = "", *,
                     high_stock_from: int = HIGH_STOCK_FROM, **options: Any) -> Litestar:
    """`high_stock_from`: available units from which `stock_level` reads `high`.
    `options`: `versions` and `successor_paths` of `experience_app`."""
    levels = StockLevels(high_from=high_stock_from)
    app = experience_app(
        api="mobile", version="v1", handlers=V1, ports=ports, ports_used=["pricing", "orders", "returns"], internal_secret=internal_secret,
        dependencies={"stock_levels": Provide(lambda: levels, sync_to_thread=False, use_cache=True)},
        credentials=frozenset({JWT}), **options,
    )
    return OrderIntake.wrap(app, prefix="/v1/mobile", channel="mobile")
