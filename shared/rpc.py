"""Typed calls between layers when roles run split.

In one process a layer calls the next one's port directly. Split, the same
port is served over HTTP by ``RpcApp`` and consumed through ``rpc_client``,
which builds an object with the port's methods: arguments and results are the
same msgspec Structs, encoded as JSON, and a ``HubError`` raised on the
server side is raised again, as the same class with the same code, on the
caller's side (it travels as an RFC 9457 problem). So a split deployment
answers exactly as the one-process hub does.

Wire: ``POST {base}/rpc/{service}/{method}`` with a JSON object of the
keyword arguments; 200 with the JSON result, or a problem document. The
caller's remaining deadline (``shared.resilience.deadline_scope``) travels in
``X-Hub-Deadline`` (seconds) and bounds the callee's backend calls too.
"""

from __future__ import annotations

import inspect
import typing
from typing import Any, Callable

import httpx
import msgspec

from shared.asgi import read_body, send_response
from shared.errors import BackendUnavailable, HubError, error_class_for
from shared.jsonbody import decode_json
from shared.resilience import deadline_scope, remaining_deadline
from shared.telemetry import inject_trace_headers, server_span

_JSON = [(b"content-type", b"application/json")]
_PROBLEM = [(b"content-type", b"application/problem+json")]


class _Problem(msgspec.Struct, omit_defaults=True):
    status: int
    code: str
    title: str = ""
    detail: str = ""
    errors: list[dict[str, str]] | None = None
    extra: dict[str, Any] = {}
    headers: dict[str, str] = {}


def _methods(protocol: type) -> dict[str, tuple[inspect.Signature, dict[str, Any]]]:
    out = {}
    for name, fn in inspect.getmembers(protocol, inspect.isfunction):
        if not name.startswith("_"):
            out[name] = (inspect.signature(fn), typing.get_type_hints(fn))
    return out


def _args_struct(service: str, name: str, sig: inspect.Signature, hints: dict[str, Any]) -> type:
    fields = []
    for param in list(sig.parameters.values())[1:]:
        default = msgspec.NODEFAULT if param.default is inspect.Parameter.empty else param.default
        fields.append((param.name, hints[param.name], default))
    return msgspec.defstruct(f"{service}_{name}_args", fields, kw_only=True)


class RpcApp:
    """A pure ASGI app serving port implementations: ``{service: (protocol, impl)}``."""

    def __init__(self, services: dict[str, tuple[type, object]]) -> None:
        self._routes: dict[str, tuple[Callable, type]] = {}
        for service, (protocol, impl) in services.items():
            for name, (sig, hints) in _methods(protocol).items():
                args = _args_struct(service, name, sig, hints)
                self._routes[f"/rpc/{service}/{name}"] = (getattr(impl, name), args)
        self._encoder = msgspec.json.Encoder()

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        route = self._routes.get(scope["path"])
        if route is None or scope["method"] != "POST":
            await send_response(send, 404, _PROBLEM, self._encoder.encode(_Problem(status=404, code="not_found")))
            return
        body = await read_body(receive)
        fn, args_type = route
        with server_span(scope, f"rpc {scope['path']}"), deadline_scope(_deadline(scope)):
            try:
                args = decode_json(body, args_type)
                result = await fn(**msgspec.structs.asdict(args))
            except msgspec.ValidationError as exc:
                problem = _Problem(status=422, code="validation_failed", detail=str(exc))
            except HubError as exc:
                extra = {k: v for k, v in vars(exc).items() if k in ("retry_after", "backend")}
                problem = _Problem(
                    status=exc.status, code=exc.code, title=exc.title, detail=exc.detail,
                    errors=exc.errors, extra={**exc.extra, **extra}, headers=exc.headers,
                )
            else:
                await send_response(send, 200, _JSON, self._encoder.encode(result))
                return
        await send_response(send, problem.status, _PROBLEM, self._encoder.encode(problem))



def _deadline(scope: dict) -> float:
    for name, value in scope["headers"]:
        if name == b"x-hub-deadline":
            try:
                return min(max(float(value), 0.0), _MAX_DEADLINE)
            except ValueError:
                break
    return _MAX_DEADLINE


_MAX_DEADLINE = 30.0


def rpc_client(protocol: type, service: str, http: httpx.AsyncClient) -> Any:
    """An object with `protocol`'s async methods, each a POST to an `RpcApp`."""
    encoder = msgspec.json.Encoder()
    attrs: dict[str, Any] = {}
    for name, (sig, hints) in _methods(protocol).items():
        attrs[name] = _remote_method(service, name, sig, hints.get("return"), http, encoder)
    return type(f"Remote{protocol.__name__}", (), attrs)()


def _remote_method(service, name, sig, result_type, http, encoder):  # noqa: ANN001, ANN202
    path = f"/rpc/{service}/{name}"
    problem_decoder = msgspec.json.Decoder(_Problem)

    async def call(self, *args: Any, **kwargs: Any) -> Any:  # noqa: ANN001
        bound = sig.bind(self, *args, **kwargs)
        payload = {k: v for k, v in list(bound.arguments.items())[1:]}
        try:
            headers = inject_trace_headers({"content-type": "application/json"})
            left = remaining_deadline()
            if left is not None:
                headers["x-hub-deadline"] = f"{left:.3f}"
            response = await http.post(path, content=encoder.encode(payload), headers=headers)
        except httpx.HTTPError as exc:
            raise BackendUnavailable(f"The {service} API did not answer.", backend=f"{service}-api") from exc
        if response.status_code == 200:
            return msgspec.json.decode(response.content, type=result_type)
        try:
            problem = problem_decoder.decode(response.content)
        except msgspec.DecodeError as exc:
            raise BackendUnavailable(f"The {service} API answered {response.status_code}.", backend=f"{service}-api") from exc
        raise error_class_for(problem.status, problem.code)(
            problem.detail or None, code=problem.code, errors=problem.errors, headers=problem.headers,
            **problem.extra
        )

    call.__name__ = name
    return call
