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
``POST {base}/rpc/_batch`` carries many calls in one request (``shared.rpc_batch``).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import typing
from typing import Any, Callable

import httpx
import msgspec

from shared.asgi import read_body, send_response
from shared.errors import BackendUnavailable, HubError, error_class_for
from shared.jsonbody import decode_json
from shared.outage import store_outage
from shared.resilience import deadline_scope, remaining_deadline
from shared.rpc_batch import BATCH_PATH, Batch, BatchAnswer, BatchAnswers, BatchCall, RpcBatcher
from shared.telemetry import inject_trace_headers, server_span

log = logging.getLogger("commerce_hub.rpc")
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
        path = scope["path"]
        if scope["method"] == "POST" and path == BATCH_PATH:
            await self._batch(scope, receive, send)
            return
        if path not in self._routes or scope["method"] != "POST":
            await send_response(send, 404, _PROBLEM, self._encoder.encode(_Problem(status=404, code="not_found")))
            return
        body = await read_body(receive)
        with server_span(scope, f"rpc {path}"), deadline_scope(_deadline(scope)):
            status, answer = await self._call(path, body)
        await send_response(send, status, _JSON if status == 200 else _PROBLEM, answer)

    async def _call(self, path: str, body: bytes) -> tuple[int, bytes]:
        """One call: 200 and the encoded result, or a problem's status and document."""
        route = self._routes.get(path)
        if route is None:
            return 404, self._encoder.encode(_Problem(status=404, code="not_found"))
        fn, args_type = route
        try:
            args = decode_json(body, args_type)
            result = await self._run(fn, args)
        except msgspec.ValidationError as exc:
            problem = _Problem(status=422, code="validation_failed", detail=str(exc))
        except HubError as exc:
            extra = {k: v for k, v in vars(exc).items() if k in ("retry_after", "backend")}
            problem = _Problem(
                status=exc.status, code=exc.code, title=exc.title, detail=exc.detail,
                errors=exc.errors, extra={**exc.extra, **extra}, headers=exc.headers,
            )
        else:
            return 200, self._encoder.encode(result)
        return problem.status, self._encoder.encode(problem)

    @staticmethod
    async def _run(fn: Callable, args: Any) -> Any:
        """The call; its store being unreachable is a ``StoreUnavailable`` (503, retried by the
        caller's worker), never a 500 that a worker would take as permanent."""
        try:
            return await fn(**msgspec.structs.asdict(args))
        except HubError:
            raise
        except Exception as exc:
            outage = store_outage(exc)
            if outage is None:
                raise
            log.warning("rpc: store unreachable: %r", exc)
            raise outage from exc

    async def _batch(self, scope: dict, receive: Callable, send: Callable) -> None:
        """``POST /rpc/_batch``: the calls run at once, each in its own span and deadline (see
        ``shared.rpc_batch``); one answer per call, in order. A call that fails unexpectedly
        answers 500 alone (its text goes to the log, never to the caller)."""
        try:
            batch = decode_json(await read_body(receive), Batch)
        except msgspec.ValidationError as exc:
            problem = _Problem(status=422, code="validation_failed", detail=str(exc))
            await send_response(send, 422, _PROBLEM, self._encoder.encode(problem))
            return

        async def run(call: BatchCall) -> BatchAnswer:
            carrier = {"headers": [(b"traceparent", call.traceparent.encode())] if call.traceparent else []}
            with server_span(carrier, f"rpc {call.path}"), deadline_scope(_bounded(call.deadline)):
                try:
                    status, answer = await self._call(call.path, bytes(call.args))
                except Exception:  # noqa: BLE001 - a bug in one call must not fail its neighbours
                    log.exception("rpc: %s failed unexpectedly", call.path)
                    status, answer = 500, b"null"
            return BatchAnswer(status=status, body=msgspec.Raw(answer))

        answers = await asyncio.gather(*(run(call) for call in batch.calls))
        await send_response(send, 200, _JSON, self._encoder.encode(BatchAnswers(answers=list(answers))))


def _deadline(scope: dict) -> float:
    for name, value in scope["headers"]:
        if name == b"x-hub-deadline":
            try:
                return _bounded(float(value))
            except ValueError:
                break
    return _MAX_DEADLINE


def _bounded(seconds: float | None) -> float:
    return _MAX_DEADLINE if seconds is None else min(max(seconds, 0.0), _MAX_DEADLINE)


_MAX_DEADLINE = 30.0


def rpc_client(protocol: type, service: str, http: httpx.AsyncClient, *, batcher: RpcBatcher | None = None) -> Any:
    """An object with `protocol`'s async methods, each a POST to an `RpcApp`. With ``batcher``,
    concurrent calls (of any service on the same server) travel together (``shared.rpc_batch``)."""
    encoder = msgspec.json.Encoder()
    attrs: dict[str, Any] = {}
    for name, (sig, hints) in _methods(protocol).items():
        attrs[name] = _remote_method(service, name, sig, hints.get("return"), http, encoder, batcher)
    return type(f"Remote{protocol.__name__}", (), attrs)()


def _remote_method(service, name, sig, result_type, http, encoder, batcher):  # noqa: ANN001, ANN202
    path = f"/rpc/{service}/{name}"
    problem_decoder = msgspec.json.Decoder(_Problem)

    async def post(body: bytes) -> tuple[int, bytes]:
        headers = inject_trace_headers({"content-type": "application/json"})
        left = remaining_deadline()
        if left is not None:
            headers["x-hub-deadline"] = f"{left:.3f}"
        response = await http.post(path, content=body, headers=headers)
        return response.status_code, response.content

    async def call(self, *args: Any, **kwargs: Any) -> Any:  # noqa: ANN001
        bound = sig.bind(self, *args, **kwargs)
        payload = encoder.encode({k: v for k, v in list(bound.arguments.items())[1:]})
        try:
            status, content = await (batcher.call(path, payload) if batcher is not None else post(payload))
        except httpx.HTTPError as exc:
            raise BackendUnavailable(f"The {service} API did not answer.", backend=f"{service}-api") from exc
        if status == 200:
            return msgspec.json.decode(content, type=result_type)
        try:
            problem = problem_decoder.decode(content)
        except msgspec.DecodeError as exc:
            raise BackendUnavailable(f"The {service} API answered {status}.", backend=f"{service}-api") from exc
        raise error_class_for(problem.status, problem.code)(
            problem.detail or None, code=problem.code, errors=problem.errors, headers=problem.headers,
            **problem.extra
        )

    call.__name__ = name
    return call
