"""Errors of the sandbox controls, and the decoding of their bodies.

Controls are not vendor APIs, so their errors have one sandbox-wide shape,
rendered by the handlers registered once on the app:

- ``ControlInputError``: 422 ``{"error": "validation_failed",
  "errors": [{"field": "error_rate", "message": "Expected `float` <= 1.0"}]}``;
- ``ControlNotFound``: 404 ``{"error": "not_found", "message": "..."}``.

msgspec stops at the first error, so ``decode_control`` checks the fields one
by one to list them all.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
from litestar import Request, Response

from shared.jsonbody import decode_json

T = TypeVar("T", bound=msgspec.Struct)


class FieldError(msgspec.Struct, frozen=True):
    field: str
    message: str


class ValidationBody(msgspec.Struct, frozen=True, kw_only=True):
    error: str = "validation_failed"
    errors: list[FieldError]


class NotFoundBody(msgspec.Struct, frozen=True, kw_only=True):
    error: str = "not_found"
    message: str


class ControlNotFound(Exception):
    """A control request naming a record the backend does not hold."""


class ControlInputError(Exception):
    """A control request whose body cannot be accepted."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))


def decode_control(body: bytes, type_: type[T]) -> T:
    """Decode ``body`` into ``type_`` or raise ``ControlInputError`` listing every bad field."""
    try:
        raw = decode_json(body) if body else None  # not JSON: MalformedJson, a 400 problem
    except msgspec.ValidationError as exc:  # JSON, but a number out of range
        raise ControlInputError([FieldError("$", str(exc))]) from exc
    if not isinstance(raw, dict):
        raise ControlInputError([FieldError("$", "expected a JSON object")])
    errors = _field_errors(raw, type_)
    if errors:
        raise ControlInputError(errors)
    try:
        return msgspec.convert(raw, type_)
    except msgspec.ValidationError as exc:
        raise ControlInputError([FieldError("$", str(exc))]) from exc


def _field_errors(raw: dict[str, Any], type_: type[msgspec.Struct]) -> list[FieldError]:
    fields = {f.encode_name: f for f in msgspec.structs.fields(type_)}
    errors = [FieldError(name, "unknown field") for name in raw if name not in fields]
    for name, info in fields.items():
        if name not in raw:
            if info.required:
                errors.append(FieldError(name, "required"))
            continue
        try:
            msgspec.convert(raw[name], info.type)
        except msgspec.ValidationError as exc:
            errors.append(FieldError(name, str(exc)))
    return errors


def control_input_error_handler(_: Request[Any, Any, Any], exc: ControlInputError) -> Response[ValidationBody]:
    """Render a ``ControlInputError`` as 422 with its field errors."""
    return Response(ValidationBody(errors=exc.errors), status_code=422)


def control_not_found_handler(_: Request[Any, Any, Any], exc: ControlNotFound) -> Response[NotFoundBody]:
    """Render a ``ControlNotFound`` as 404."""
    return Response(NotFoundBody(message=str(exc)), status_code=404)


CONTROL_EXCEPTION_HANDLERS = {
    ControlInputError: control_input_error_handler,
    ControlNotFound: control_not_found_handler,
}
