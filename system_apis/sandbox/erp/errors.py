"""CloudERP's own errors, raised by its state and rendered by its routes.

- ``RecordNotFound``: 404 ``{"error": {"code": "RCRD_DSNT_EXIST", "message"}}``;
- ``ErpUserError``: 400 ``{"error": {"code": "INVALID_FLD_VALUE" | "MISSING_REQD_FLD"
  | "INVALID_KEY_OR_REF" | "INVALID_REQUEST", "message"}}``.
"""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


class RecordNotFound(Exception):
    """The ERP has no record with that id."""


class ErpUserError(Exception):
    """The ERP refuses the request as given."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


def found(record: T | None, kind: str, record_id: str) -> T:
    """``record``, or ``RecordNotFound`` naming what was looked for."""
    if record is None:
        raise RecordNotFound(f"That record does not exist. {kind}: {record_id}")
    return record
