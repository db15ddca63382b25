"""Field-level comparison of two canonical answers (shadow mode).

Structs are walked field by field (``as_of`` and ``modified_at`` say when, not what, and are
skipped), mappings key by key, sequences position by position; numbers compare by value, so
``99.0`` and ``99.00`` agree. Each difference names its path (``item.list_price``,
``item.breaks[0].unit_price``, ``contract.prices.SKU-1001``) and both values as text.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import msgspec

from shared.ops.erp_migration import Difference

SKIPPED = frozenset({"as_of", "modified_at"})


def differences(path: str, key: str, primary: Any, secondary: Any) -> list[Difference]:
    found: list[Difference] = []
    _walk(path, key, primary, secondary, found)
    return found


def page_differences(kind: str, key_field: str, primary: tuple, secondary: tuple) -> list[Difference]:
    """Two pages of records matched by their key (a record on one side only is a difference)."""
    ours = {getattr(r, key_field): r for r in primary}
    theirs = {getattr(r, key_field): r for r in secondary}
    found: list[Difference] = []
    for name in sorted(ours.keys() | theirs.keys()):
        _walk(kind, f"{key_field.removesuffix('_id')}:{name}", ours.get(name), theirs.get(name), found)
    return found


def _walk(path: str, key: str, a: Any, b: Any, found: list[Difference]) -> None:
    if a is None or b is None:
        if (a is None) != (b is None):
            found.append(Difference(field=path, key=key, primary=_text(a), secondary=_text(b)))
        return
    if isinstance(a, msgspec.Struct) and type(a) is type(b):
        for name in a.__struct_fields__:
            if name not in SKIPPED:
                _walk(f"{path}.{name}", key, getattr(a, name), getattr(b, name), found)
    elif isinstance(a, Mapping) and isinstance(b, Mapping):
        for name in sorted(a.keys() | b.keys(), key=str):
            _walk(f"{path}.{name}", key, a.get(name), b.get(name), found)
    elif isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        if len(a) != len(b):
            found.append(Difference(field=f"{path}.length", key=key, primary=str(len(a)), secondary=str(len(b))))
        for n, (x, y) in enumerate(zip(a, b)):
            _walk(f"{path}[{n}]", key, x, y, found)
    elif not _same(a, b):
        found.append(Difference(field=path, key=key, primary=_text(a), secondary=_text(b)))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (Decimal, int, float)) and isinstance(b, (Decimal, int, float)) \
            and not isinstance(a, bool) and not isinstance(b, bool):
        return Decimal(str(a)) == Decimal(str(b))
    return a == b


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (msgspec.Struct, Mapping, tuple, list)):
        return msgspec.json.encode(value).decode()
    return str(value)
