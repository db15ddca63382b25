"""The one way a request body becomes JSON: bounded nesting, and every failure a 400.

`decode_json(body, type)` decodes with msgspec after `check_depth`; anything that is not
JSON (bad syntax, invalid UTF-8, a number out of range, nesting deeper than
``MAX_DEPTH``, msgspec's own ``RecursionError``) raises ``MalformedJson`` (400
``malformed_json``). A well-formed body of the wrong shape raises
``msgspec.ValidationError`` as before, for the caller to map (422, or a vendor's shape).

`check_depth(body)` is the bound alone, for where another function decodes the body
(the vendor event parsers), and `MALFORMED` lists what a decoder may raise on a body that
is not JSON. Where Litestar decodes a ``data`` parameter itself, the app's exception
handlers (``shared.problems``) answer a ``RecursionError`` as this same 400.

The depth check is linear and cheap: strings are skipped by one regular expression,
then the remaining brackets are counted, stopping at the first level too deep.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from shared.errors import BadRequest

MAX_DEPTH = 64
"""Deepest nesting accepted: the hub's own documents nest 4 deep; 64 leaves room and stays
far below the interpreter's recursion limit."""

MALFORMED = (msgspec.DecodeError, RecursionError, UnicodeDecodeError)
"""What decoding a body that is not JSON may raise (``msgspec.ValidationError`` is a
``DecodeError``: catch it first where the shape matters)."""

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = bytes(c for c in range(256) if c not in b"[]{}")
_OPEN = frozenset(b"[{")


class MalformedJson(BadRequest):
    code = "malformed_json"

    def __init__(self, detail: str = "The body is not valid JSON.") -> None:
        super().__init__(detail)


def too_deep(body: bytes, limit: int = MAX_DEPTH) -> bool:
    """True when the JSON in `body` nests deeper than `limit` (brackets inside strings do
    not count; a body that is not JSON may count too deep, it is refused either way)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKET)
    depth = 0
    for char in brackets:
        if char in _OPEN:
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def check_depth(body: bytes, limit: int = MAX_DEPTH) -> None:
    """Raise `MalformedJson` when `body` nests deeper than `limit`."""
    if too_deep(body, limit):
        raise MalformedJson(f"The body nests deeper than {limit} levels.")


def decode_json(body: bytes, type: Any = Any, *, strict: bool = True, limit: int = MAX_DEPTH) -> Any:
    """`body` decoded as `type`; `MalformedJson` (400) when it is not JSON or nests too deep,
    ``msgspec.ValidationError`` when it is JSON of the wrong shape."""
    check_depth(body, limit)
    try:
        return msgspec.json.decode(body, type=type, strict=strict)
    except msgspec.ValidationError:
        raise
    except MALFORMED as exc:
        raise MalformedJson() from exc

