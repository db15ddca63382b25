"""Opaque page cursors for list endpoints.

A cursor is the base64url (unpadded) of a small versioned JSON document,
``{"v": 1, "o": <offset>}``: clients must treat it as opaque, and the paging scheme
can change (a new ``v``) without breaking a client that holds an old one. A cursor
that does not decode is 422 `validation_failed` naming the field ``cursor``.
"""

from __future__ import annotations

import base64
import binascii

import msgspec

from shared.errors import ValidationFailed

VERSION = 1


class _Cursor(msgspec.Struct, frozen=True):
    v: int
    o: int


_decoder = msgspec.json.Decoder(_Cursor)


def encode_cursor(offset: int | None) -> str | None:
    """The cursor of the page starting at `offset`; None (no next page) stays None."""
    if offset is None:
        return None
    raw = msgspec.json.encode(_Cursor(v=VERSION, o=offset))
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str | None) -> int:
    """The offset a cursor stands for (0 for none); 422 on a cursor the hub did not make."""
    if not cursor:
        return 0
    try:
        decoded = _decoder.decode(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, msgspec.DecodeError):
        decoded = None
    if decoded is None or decoded.v != VERSION or decoded.o < 0:
        raise ValidationFailed(errors=[{"field": "cursor", "message": "not a cursor this API returned"}])
    return decoded.o
