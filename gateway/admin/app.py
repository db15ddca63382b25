"""The admin API app (`/admin/v1`), behind the edge like any API."""

from __future__ import annotations

from litestar import Litestar, Request
from litestar.di import Provide

from experience_apis.http import current_principal
from gateway.admin.cache import purge_cache
from gateway.admin.keys import KeysController
from gateway.admin.plans import list_plans, put_plan
from gateway.keys.service import KeyService
from shared.bus import Bus
from shared.problems import litestar_exception_handlers
from gateway.plans.book import PlanBook


def create_admin_app(
    keys: KeyService, book: PlanBook, bus: Bus, internal_secret: str
) -> Litestar:
    def provide_keys(request: Request) -> KeyService:
        return keys

    def provide_book(request: Request) -> PlanBook:
        return book

    def provide_bus(request: Request) -> Bus:
        return bus

    app = Litestar(
        route_handlers=[KeysController, list_plans, put_plan, purge_cache],
        dependencies={
            "principal": Provide(current_principal, sync_to_thread=False),
            "keys": Provide(provide_keys, sync_to_thread=False),
            "book": Provide(provide_book, sync_to_thread=False),
            "bus": Provide(provide_bus, sync_to_thread=False),
        },
        exception_handlers=litestar_exception_handlers(),
        openapi_config=None,
        debug=False,
        logging_config=None,
    )
    app.state.internal_secret = internal_secret
    return app
