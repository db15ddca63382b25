"""The admin API app (`/admin/v1`), behind the edge like any API."""

from __future__ import annotations

from litestar import Litestar, Request
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, Server

from experience_apis.http import SECURITY_SCHEMES, current_principal, declare_problems
from gateway.admin.audit import list_audit
from gateway.admin.cache import purge_cache
from gateway.admin.dead_letters import DeadLettersController
from experience_apis.operations.journeys import JourneysController
from gateway.admin.keys import KeysController
from gateway.admin.ops import OpsAdmin
from gateway.admin.ops_routes import OPS_HANDLERS
from experience_apis.operations.reconciliations import ReconciliationsController
from experience_apis.operations.returns import ReturnsController
from gateway.admin.session import get_session
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
    journeys: object | None = None,
    ops: OpsAdmin | None = None,
    reconciliations: object | None = None,
) -> Litestar:
    """The admin routes; the dead-letter routes only where a `dead_letters` service is given, the
    return routes only where a `returns` port (`ReturnPort`) is, the journey route only where a
    `journeys` port (`JourneyPort`) is, the reconciliation routes only where a `reconciliations`
    port (`ReconcilePort`) is."""
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

    def provide_journeys(request: Request) -> object | None:
        return journeys

    def provide_ops(request: Request) -> OpsAdmin | None:
        return ops

    def provide_reconciliations(request: Request) -> object | None:
        return reconciliations

    handlers: list = [KeysController, list_plans, put_plan, purge_cache, get_session]
    if dead_letters is not None:
        handlers += [DeadLettersController, list_audit]
    if returns is not None:
        handlers.append(ReturnsController)
    if journeys is not None:
        handlers.append(JourneysController)
    if ops is not None:
        handlers += OPS_HANDLERS
    if reconciliations is not None:
        handlers.append(ReconciliationsController)
    app = Litestar(
        route_handlers=handlers,
        dependencies={
            "principal": Provide(current_principal, sync_to_thread=False),
            "keys": Provide(provide_keys, sync_to_thread=False),
            "book": Provide(provide_book, sync_to_thread=False),
            "bus": Provide(provide_bus, sync_to_thread=False),
            "dead_letters": Provide(provide_dead_letters, sync_to_thread=False),
            "returns": Provide(provide_returns, sync_to_thread=False),
            "journeys": Provide(provide_journeys, sync_to_thread=False),
            "ops": Provide(provide_ops, sync_to_thread=False),
            "reconciliations": Provide(provide_reconciliations, sync_to_thread=False),
        },
        exception_handlers=litestar_exception_handlers(),
        openapi_config=OpenAPIConfig(  # served by the portal at /openapi/admin-v1.json
            title="Commerce Hub Admin API", version="v1", path="/_openapi/admin-v1", render_plugins=[],
            description="Operators: keys, plans, the response cache, dead letters (with their audit log), "
                        "returns under review and reconciliation runs. "
                        "Every operation needs an API key with the scope `admin`; the operator's views and "
                        "actions (session, flows, journeys, backends, alerts, connections, dead letters but "
                        "discarding, the audit trail) also take a `console` key.",
            servers=[Server(url="/")], components=Components(security_schemes={"ApiKey": SECURITY_SCHEMES["ApiKey"]}),
            security=[{"ApiKey": []}], create_examples=False),
        debug=False,
        logging_config=None,
    )
    app.state.internal_secret = internal_secret
    declare_problems(app)
    return app
