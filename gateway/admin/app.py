"""The admin API app (`/admin/v1`), behind the edge like any API."""

from __future__ import annotations

from typing import Callable

from litestar import Litestar, Request
from litestar.di import Provide

from experience_apis.http import current_principal
from gateway.admin.keys import KeysController
from gateway.admin.plans import list_plans
from gateway.keys.service import KeyService
from shared.problems import litestar_exception_handlers
from shared.settings import Plan


def create_admin_app(keys: KeyService, plans: Callable[[], dict[str, Plan]], internal_secret: str) -> Litestar:
    def provide_keys(request: Request) -> KeyService:
        return keys

    def provide_plans(request: Request) -> dict[str, Plan]:
        return plans()

    app = Litestar(
        route_handlers=[KeysController, list_plans],
        dependencies={
            "principal": Provide(current_principal, sync_to_thread=False),
            "keys": Provide(provide_keys, sync_to_thread=False),
            "plans": Provide(provide_plans, sync_to_thread=False),
        },
        exception_handlers=litestar_exception_handlers(),
        openapi_config=None,
        debug=False,
        logging_config=None,
    )
    app.state.internal_secret = internal_secret
    return app
