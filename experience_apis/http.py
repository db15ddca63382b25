"""What every experience API shares: the caller's principal, the process ports it may
use, and the Litestar app factory with problem answers and an OpenAPI 3.1 document."""

from __future__ import annotations

from copy import copy
from functools import cache
from typing import Annotated, Any, Awaitable, Callable, Sequence

from litestar import Litestar, Request
from litestar.connection import ASGIConnection
from litestar.di import Provide
from litestar.handlers import HTTPRouteHandler
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme, Server
from litestar.params import Dependency
from litestar.types import Message, Scope

from experience_apis import openapi
from experience_apis.edge_needs import DEFAULT_CREDENTIALS
from experience_apis import versions as _versions
from experience_apis.versions import ApiVersion, VersionRegistry
from shared.errors import Forbidden
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


def requires(scope: str, *alternatives: str) -> Callable[[ASGIConnection, BaseRouteHandler], Awaitable[None]]:
    """A route guard: the caller's principal must hold `scope`, or one of `alternatives` (403
    otherwise). Guards run before the body is read, so a caller without the scope learns
    nothing of the API.

    Guards are coroutines: Litestar runs a plain function guard in a thread pool, a
    thread hop per request that cost a hot path more than the check itself."""

    if alternatives:
        accepted = frozenset((scope, *alternatives))
        named = " or ".join(repr(s) for s in (scope, *alternatives))

        async def any_of(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
            if not current_principal(connection).scopes & accepted:  # type: ignore[arg-type]
                raise Forbidden(f"This credential lacks the scope {named}.", code="insufficient_scope")

        any_of.scopes = (scope, *alternatives)  # type: ignore[attr-defined]  # read by edge_needs
        return any_of

    async def guard(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
        current_principal(connection).require(scope)  # type: ignore[arg-type]

    guard.scopes = (scope,)  # type: ignore[attr-defined]  # read by edge_needs
    return guard


async def requires_customer(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    """A route guard: the principal must be bound to a customer (403 `customer_required`),
    for APIs that only ever act for the caller's own customer (partner)."""
    if current_principal(connection).customer_id is None:  # type: ignore[arg-type]
        raise Forbidden("This API needs a credential bound to a customer.", code="customer_required")


def _port(name: str) -> Provide:
    """A process port by name. It takes the principal (unused) so that Litestar resolves the two
    one after the other: dependencies of one level are resolved in an anyio task group, which
    cost a miss about 15% of its CPU (docs/performance.md, "The miss path, second pass"). Every
    route that uses a port is authenticated, so the principal is there to resolve."""

    def provide(request: Request, principal: Principal) -> Any:  # noqa: ARG001 - see above
        return request.app.state.ports[name]

    return Provide(provide, sync_to_thread=False)


def experience_app(
    *,
    api: str,
    version: str,
    handlers: Sequence[Any],
    ports: dict[str, object] | None = None,
    ports_used: Sequence[str] = (),
    internal_secret: str = "",
    versions: VersionRegistry | None = None,
    successor_paths: Sequence[str] = (),
    dependencies: dict[str, Provide] | None = None,
    credentials: frozenset[str] = DEFAULT_CREDENTIALS,
) -> Litestar:
    """One Litestar app per API version; the gateway routes `/{version}/{api}` to it.

    Title, description and deprecation come from the version's entry in `versions`
    (default: the published registry). Every operation documents its problem answers;
    a deprecated version marks them deprecated and adds its deprecation headers to
    every answer, errors included (`successor_paths`: the successor's route templates,
    to link to the equivalent path). `credentials`: the kinds the channel accepts, which
    the gateway's edge enforces (``experience_apis.edge_needs``)."""
    versions = versions or _versions.VERSIONS
    spec = versions.get(f"{api}-{version}")
    deprecated = spec.status == "deprecated"
    app = Litestar(
        route_handlers=[_documented(h, deprecated) for h in handlers],
        dependencies={"principal": Provide(current_principal, sync_to_thread=False),
                      **{p: _port(p) for p in ports_used}, **(dependencies or {})},
        exception_handlers=litestar_exception_handlers(),
        response_headers=openapi.RESPONSE_HEADERS,
        before_send=[_deprecation_headers(spec, versions, successor_paths)] if deprecated else [],
        openapi_config=OpenAPIConfig(
            title=spec.title,
            version=version,
            description=openapi.description(spec),
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
    _served(app)
    app.state.ports = ports or {}
    app.state.internal_secret = internal_secret
    app.state.credentials = credentials
    return app


def route_paths(app: Litestar | None) -> list[str]:
    """The path templates an app serves (e.g. `/v2/storefront/products/{sku:str}`)."""
    return [route.path for route in app.routes] if app is not None else []


def _documented(handler: HTTPRouteHandler, deprecated: bool) -> HTTPRouteHandler:
    """A copy of `handler` declaring the problem answers it may give (its own win), of a class
    that copies itself quickly (``_quick_copying``)."""
    documented = copy(handler)
    documented.__class__ = _quick_copying(type(handler))
    documented.responses = _with_problems(handler)
    documented.deprecated = handler.deprecated or deprecated
    return documented


_UNSET = object()
_SERVED = "_hub_served"


@cache
def _quick_copying(cls: type) -> type:
    """``cls`` with a ``__copy__`` for Litestar's copy of the route handler on every guard of
    every request (``authorize_connection``): once its app is built (``_served``) the handler is
    not changed again and our guards only read it, so the copy is the handler itself; before
    that (while Litestar registers it) a shallow copy of its slots and ``__dict__``, as
    ``copy.copy`` makes. The generic copy of a handler's hundred-odd slots cost about 30 µs,
    6% of a product miss (docs/performance.md, "The miss path, second pass")."""
    names = tuple(dict.fromkeys(name for klass in cls.__mro__ for name in getattr(klass, "__slots__", ())
                                if name not in ("__dict__", "__weakref__")))

    def __copy__(self):  # noqa: ANN001, ANN202, N807
        if self.__dict__.get(_SERVED):
            return self
        new = object.__new__(type(self))
        for name in names:
            value = getattr(self, name, _UNSET)
            if value is not _UNSET:
                setattr(new, name, value)
        new.__dict__.update(self.__dict__)
        return new

    return type(cls.__name__, (cls,), {"__slots__": (), "__copy__": __copy__, "__module__": cls.__module__})


def _served(app: Litestar) -> None:
    """The app is built: its handlers' copies (``_quick_copying``) are the handlers themselves."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if type(handler).__dict__.get("__copy__") is not None:
                handler.__dict__[_SERVED] = True


def _with_problems(handler: HTTPRouteHandler) -> dict:
    defaults = openapi.problem_responses(
        with_body=bool(handler.http_methods & {"POST", "PUT", "PATCH"}),
        with_path_parameters=any("{" in path for path in handler.paths),
    )
    return {**defaults, **(handler.responses or {})}


def declare_problems(app: Litestar) -> None:
    """Every route of a built app (its controllers' too) declares the problem answers it may
    give, as the experience APIs' handlers do; for apps such as the admin API."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            handler.responses = _with_problems(handler)


def _deprecation_headers(spec: ApiVersion, versions: VersionRegistry, successor_paths: Sequence[str]) -> Callable:
    """A `before_send` hook adding Deprecation, Sunset and the successor Link to every answer."""
    fixed = [(name.encode(), value.encode()) for name, value in spec.deprecation_headers()]

    async def add(message: Message, scope: Scope) -> None:
        if message["type"] == "http.response.start":
            link = versions.successor_link(spec, scope["path"], successor_paths)
            message["headers"] = [*message.get("headers", ()), *fixed,
                                  (b"link", f'<{link}>; rel="successor-version"'.encode())]

    return add


SECURITY_SCHEMES = {
    "ApiKey": SecurityScheme(type="apiKey", name="X-API-Key", security_scheme_in="header",
                             description="An API key made by an operator (`hub keys create`)."),
    "Bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT",
                             description="A hub token from POST /oauth/token, or an identity provider JWT (mobile)."),
}
