"""Admin API: moving to another ERP (docs/operations.md, "ERP migration").

``GET /migration/diffs`` (scope ``admin`` or ``console``): what shadow mode saw differ between
the two ERPs, per field with a count and the latest sample pairs. ``POST /migration/primary``
(scope ``admin``): make the other ERP connection the primary, in force on every instance
within a second, without a restart; orders already decided stay with their ERP.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

import msgspec
from litestar import get, post
from litestar.params import Parameter

from experience_apis.http import INJECTED
from experience_apis.operations.guards import ADMIN, OPERATOR
from gateway.admin.ops import OpsAdmin
from experience_apis.openapi import problems
from shared.errors import Conflict, ValidationFailed
from shared.ops.erp_migration import FieldDiffs, MigrationBook

Ops = Annotated[OpsAdmin, INJECTED]
Samples = Annotated[int, Parameter(ge=0, le=100, description="Sample pairs per field, 0 to 100 (default 20).")]


@dataclass
class MigrationAdmin:
    book: MigrationBook
    primary: str
    """hub.toml's primary ERP connection."""
    secondary: str
    mode: str
    announce: Callable[[str], Awaitable[None]] | None = None
    """Tells every instance of the switch at once (the bus); they also re-read within a second."""


class MigrationDiffs(msgspec.Struct, kw_only=True):
    items: list[FieldDiffs]
    primary: str | None
    """The ERP connection answering and taking new orders now (None: no migration configured)."""
    secondary: str | None
    mode: str
    """``shadow`` (reads compared), ``route`` (rules only) or ``off`` (one ERP)."""


class PrimaryChange(msgspec.Struct, forbid_unknown_fields=True):
    connection: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]


class NoMigration(Conflict):
    code, title = "no_erp_migration", "No ERP migration is configured"


@get("/admin/v1/migration/diffs", operation_id="listMigrationDiffs", tags=["operations"], guards=[OPERATOR])
async def list_migration_diffs(ops: Ops, samples: Samples = 20) -> MigrationDiffs:
    """Fields the primary and the secondary ERP answered differently, most frequent first."""
    moving = ops.migration
    if moving is None:
        return MigrationDiffs(items=[], primary=None, secondary=None, mode="off")
    primary, secondary = await _pair(moving)
    return MigrationDiffs(items=await moving.book.diffs(samples), primary=primary, secondary=secondary,
                          mode=moving.mode)


@post("/admin/v1/migration/primary", operation_id="switchErpPrimary", tags=["operations"], guards=[ADMIN],
      status_code=200, responses=problems({409: "The hub has one ERP connection: `no_erp_migration`."}))
async def switch_primary(data: PrimaryChange, ops: Ops) -> MigrationDiffs:
    """Make ``connection`` (the primary or the secondary ERP connection) the primary."""
    moving = ops.migration
    if moving is None:
        raise NoMigration("The hub has one ERP connection; declare a second with erp_role = \"secondary\".")
    if data.connection not in (moving.primary, moving.secondary):
        raise ValidationFailed(f"Not an ERP connection: {data.connection!r}.", errors=[
            {"field": "connection", "message": f"expected {moving.primary} or {moving.secondary}"}])
    await moving.book.switch(data.connection)
    if moving.announce is not None:
        await moving.announce(data.connection)
    primary, secondary = await _pair(moving)
    return MigrationDiffs(items=[], primary=primary, secondary=secondary, mode=moving.mode)


async def _pair(moving: MigrationAdmin) -> tuple[str, str]:
    switched = await moving.book.primary()
    primary = switched if switched in (moving.primary, moving.secondary) else moving.primary
    return primary, moving.secondary if primary == moving.primary else moving.primary
