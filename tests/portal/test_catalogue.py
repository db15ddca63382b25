"""Every problem code the hub can answer with has a catalogue entry, hence a portal page.

The source is scanned, not a list kept by hand: a code raised anywhere
(``code="..."``, a ``HubError`` subclass's class default, an order rule's ``Finding``)
without an entry in ``shared.problem_catalogue`` fails here."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

from shared import errors
from shared.problem_catalogue import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("commerce_hub", "gateway", "experience_apis", "process_apis", "system_apis", "shared")
VENDOR_SHAPED = ROOT / "system_apis" / "sandbox"
"""The sandbox backends answer in their vendors' own error shapes, not the hub's problems."""
PATTERNS = (
    re.compile(r"\bcode\s*=\s*[\"']([a-z][a-z0-9_]*)[\"']"),  # NotFound(..., code="unknown_sku"), code = "x"
    re.compile(r"\bcode,\s*title\s*=\s*[\"']([a-z][a-z0-9_]*)[\"']"),  # code, title = "x", "..."
    re.compile(r"\bstatus,\s*code,\s*title\s*=\s*\d+,\s*[\"']([a-z][a-z0-9_]*)[\"']"),  # status, code, title = 404, "x"
    re.compile(r"\bcode:\s*ClassVar\[str\]\s*=\s*[\"']([a-z][a-z0-9_]*)[\"']"),
    re.compile(r"\bFinding\(\s*[\"']([a-z][a-z0-9_]*)[\"']"),  # process_apis.orders.rules
)


def codes_in_source() -> dict[str, str]:
    """code -> the first file:line using it."""
    found: dict[str, str] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if VENDOR_SHAPED in path.parents:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                for pattern in PATTERNS:
                    for code in pattern.findall(line):
                        found.setdefault(code, f"{path.relative_to(ROOT)}:{number}")
    return found


def error_classes(base: type = errors.HubError) -> list[type]:
    """Every HubError subclass of the hub's modules (all imported first, so none is missed)."""
    if base is errors.HubError:
        for package in PACKAGES:
            for module in pkgutil.walk_packages([str(ROOT / package)], f"{package}."):
                if ".migrations" not in module.name:  # Alembic scripts run only under Alembic
                    importlib.import_module(module.name)
    return [base] + [c for sub in base.__subclasses__() for c in error_classes(sub)]


def test_the_scan_sees_codes_of_every_kind() -> None:
    """The patterns still match the ways codes are written (else the next test proves nothing)."""
    found = codes_in_source()
    for code in ("unknown_order", "backend_throttled", "bad_request", "price_mismatch", "idempotency_key_reused", "internal_error"):
        assert code in found, f"the scan no longer finds {code}"
    assert "RCRD_DSNT_EXIST" not in found and "invalid_request" not in found  # vendor shapes are skipped


def test_every_code_in_the_source_has_a_catalogue_entry() -> None:
    missing = {code: where for code, where in codes_in_source().items() if code not in CATALOGUE}
    assert missing == {}, "add these codes to shared/problem_catalogue.py: " + repr(missing)


@pytest.mark.parametrize("cls", error_classes(), ids=lambda c: c.__name__)
def test_every_error_class_default_code_has_an_entry_with_its_status(cls: type) -> None:
    entry = CATALOGUE.get(cls.code)
    assert entry is not None, f"{cls.__name__}.code {cls.code!r} has no catalogue entry"
    assert cls.status in entry.statuses


def test_every_entry_explains_itself() -> None:
    for code, entry in CATALOGUE.items():
        assert entry.code == code and re.fullmatch(r"[a-z][a-z0-9_]*", code)
        assert entry.title and entry.meaning.strip() and entry.action.strip(), code
        assert all(400 <= status <= 599 for status in entry.statuses), code
