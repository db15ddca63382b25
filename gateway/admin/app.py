"""The admin API app (`/admin/v1`), behind the edge like any API."""

from __future__ import annotations

from litestar import Litestar, Request
from litestar.di import Provide

from experience_apis.http import current_principal
from gateway.admin.cache import purge_cache
from gateway.admin.dead_letters import DeadLettersController
from gateway.admin.keys import KeysController
from gateway.admin.ops import OpsAdmin
from gateway.admin.ops_routes import OPS_HANDLERS
from gateway.admin.returns import ReturnsController
from gateway.admin.plans import list_plans, put_plan
from gateway.keys.service import KeyService
from shared.bus import Bus
from shared.messaging.dead_letters import DeadLetterService
from shared.problems import litestar_exception_handlers
from gateway.plans.book import PlanBook


def create_admin_app(
    keys: KeyService, book: PlanBook, bus: Bus, internal_secret: str,
    dead_letters: DeadLetterService | None = None,
    returns: object | None = None,
    ops: OpsAdmin | None = None,
) -> Litestar:
    """The admin routes; the dead-letter routes only where a `dead_letters` service is given, the
    return routes only where a `returns` port (`ReturnPort`) is."""
    def provide_keys(request: Request) -> KeyService:
        return keys

    def provide_book(request: Request) -> PlanBook:
        return book

    def provide_bus(request: Request) -> Bus:
        return bus

    def provide_dead_letters(request: Request) -> DeadLetterService | None:
        return dead_letters

    def provide_returns(request: Request) -> object | None:
        return returns

    def provide_ops(request: Request) -> OpsAdmin | None:
        return ops

    handlers: list = [KeysController, list_plans, put_plan, purge_cache]
    if dead_letters is not None:
        handlers.append(DeadLettersController)
    if returns is not None:
        handlers.append(ReturnsController)
    if ops is not None:
        handlers += OPS_HANDLERS
    app = Litestar(
        route_handlers=handlers,
        dependencies={
            "principal": Provide(current_principal, sync_to_thread=False),
            "keys": Provide(provide_keys, sync_to_thread=False),
            "book": Provide(provide_book, sync_to_thread=False),
            "bus": Provide(provide_bus, sync_to_thread=False),
            "dead_letters": Provide(provide_dead_letters, sync_to_thread=False),
            "returns": Provide(provide_returns, sync_to_thread=False),
            "ops": Provide(provide_ops, sync_to_thread=False),
        },
        exception_handlers=litestar_exception_handlers(),
        openapi_config=None,
        debug=False,
        logging_config=None,
    )
    app.state.internal_secret = internal_secret
    return app
