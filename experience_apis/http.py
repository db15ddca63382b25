"""What every experience API shares: the caller's principal, the process ports it may
use, and the Litestar app factory with problem answers and an OpenAPI 3.1 document."""

from __future__ import annotations

from typing import Annotated, Any, Callable, Sequence

from litestar import Litestar, Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.params import Dependency
from litestar.openapi.spec import Components, SecurityScheme, Server

from shared.identity import PRINCIPAL_HEADER, Principal, verify_principal
from shared.problems import litestar_exception_handlers

PRINCIPAL_SCOPE_KEY = "hub.principal"
INJECTED = Dependency(skip_validation=True)
CurrentPrincipal = Annotated[Principal, INJECTED]


def current_principal(request: ASGIConnection) -> Principal:
    """The gateway's principal: handed over in process, or signed in a header when split."""
    principal = request.scope.get(PRINCIPAL_SCOPE_KEY)  # type: ignore[call-overload]
    if principal is not None:
        return principal
    return verify_principal(request.headers.get(PRINCIPAL_HEADER), request.app.state.internal_secret)


def requires(scope: str) -> Callable[[ASGIConnection, BaseRouteHandler], None]:
    """A route guard: the caller's principal must hold `scope` (403 otherwise). Guards run
    before the body is read, so a caller without the scope learns nothing of the API."""

    def guard(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
        current_principal(connection).require(scope)  # type: ignore[arg-type]

    return guard


def _port(name: str) -> Provide:
    def provide(request: Request) -> Any:
        return request.app.state.ports[name]

    return Provide(provide, sync_to_thread=False)


def experience_app(
    *,
    api: str,
    version: str,
    title: str,
    description: str,
    handlers: Sequence[Any],
    ports: dict[str, object] | None = None,
    ports_used: Sequence[str] = (),
    internal_secret: str = "",
) -> Litestar:
    """One Litestar app per API version; the gateway routes `/{version}/{api}` to it."""
    app = Litestar(
        route_handlers=list(handlers),
        dependencies={"principal": Provide(current_principal, sync_to_thread=False), **{p: _port(p) for p in ports_used}},
        exception_handlers=litestar_exception_handlers(),
        openapi_config=OpenAPIConfig(
            title=title,
            version=version,
            description=description,
            path=f"/_openapi/{api}-{version}",
            render_plugins=[],
            servers=[Server(url="/")],
            components=Components(security_schemes=SECURITY_SCHEMES),
            security=[{"ApiKey": []}, {"Bearer": []}],
            create_examples=False,
        ),
        debug=False,
        logging_config=None,
    )
    app.state.ports = ports or {}
    app.state.internal_secret = internal_secret
    return app


SECURITY_SCHEMES = {
    "ApiKey": SecurityScheme(type="apiKey", name="X-API-Key", security_scheme_in="header",
                             description="An API key made by an operator (`hub keys create`)."),
    "Bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT",
                             description="A hub token from POST /oauth/token, or an identity provider JWT (mobile)."),
}
