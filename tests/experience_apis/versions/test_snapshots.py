"""Published versions never break: each version's OpenAPI document, as the portal serves
it, is compared with its committed snapshot under ``tests/experience_apis/snapshots/``.

A breaking change (see ``openapi_diff``) fails; it belongs in a new version. An additive
change passes with a warning until the snapshot is refreshed. To accept a deliberate
change, or to add the snapshot of a new version, regenerate and commit the snapshots::

    UPDATE_OPENAPI_SNAPSHOTS=1 .venv/bin/python -m pytest tests/experience_apis/versions/test_snapshots.py

and review their diff before committing it.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import pytest

from experience_apis.registry import build_experiences
from experience_apis.versions import VERSIONS
from gateway.portal import PortalApp
from tests.experience_apis.versions.openapi_diff import breaking_changes

SNAPSHOTS = Path(__file__).parent.parent / "snapshots"
UPDATE = os.environ.get("UPDATE_OPENAPI_SNAPSHOTS") == "1"


@pytest.fixture(scope="module")
def portal() -> PortalApp:
    return PortalApp(build_experiences({}, ""))


@pytest.mark.parametrize("key", [version.key for version in VERSIONS])
def test_a_published_version_keeps_its_contract(portal: PortalApp, key: str) -> None:
    served = portal.document(key)
    assert served is not None
    document = json.loads(served)
    snapshot_path = SNAPSHOTS / f"{key}.json"
    if UPDATE:
        snapshot_path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
        return
    assert snapshot_path.exists(), f"no snapshot of {key}: run with UPDATE_OPENAPI_SNAPSHOTS=1 and commit it"
    snapshot = json.loads(snapshot_path.read_text())
    assert breaking_changes(snapshot, document) == []
    if snapshot != document:
        warnings.warn(f"{key}: the OpenAPI document changed compatibly; refresh its snapshot "
                      "(UPDATE_OPENAPI_SNAPSHOTS=1)", stacklevel=1)


def test_every_snapshot_is_of_a_published_version() -> None:
    """A version leaves the registry only by being retired; its snapshot goes with it."""
    assert {p.stem for p in SNAPSHOTS.glob("*.json")} == {version.key for version in VERSIONS}


def test_the_documents_are_openapi_3_1_with_problem_answers(portal: PortalApp) -> None:
    for version in VERSIONS:
        document = json.loads(portal.document(version.key) or b"{}")
        assert document["openapi"].startswith("3.1")
        assert document["info"]["version"] == version.version
        assert "X-API-Key" in document["info"]["description"] and "burst" in document["info"]["description"]
        for item in document["paths"].values():
            for operation in item.values():
                for status in ("401", "403", "422", "429", "503"):
                    content = operation["responses"][status]["content"]["application/problem+json"]
                    assert content["schema"] == {"$ref": "#/components/schemas/Problem"}
