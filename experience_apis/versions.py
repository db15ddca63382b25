"""The version registry: every published experience API version, its status and its changelog.

Versions live in the path (``/v1/storefront/...``). Every version listed here is
published and frozen: it never breaks (``tests/experience_apis/versions`` compares
its OpenAPI document with a committed snapshot). Deprecating one is a data change
on its entry, e.g.::

    ApiVersion(api="storefront", version="v1", ..., status="deprecated",
               deprecated_at=datetime(2027, 1, 1, tzinfo=UTC), sunset=datetime(2027, 7, 1, tzinfo=UTC),
               successor="storefront-v2")

after which every response of that version carries ``Deprecation: @<unix seconds>``
(RFC 9745), ``Sunset: <IMF-fixdate>`` (RFC 8594) and ``Link: <path>;
rel="successor-version"`` pointing at the successor's equivalent path, or at its
base path when it has none (``experience_apis.http`` applies them to every answer).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from email.utils import format_datetime
from typing import Iterable, Iterator, Literal

import msgspec

Status = Literal["current", "deprecated"]


class ChangelogEntry(msgspec.Struct, frozen=True, kw_only=True):
    on: date
    change: str


class ApiVersion(msgspec.Struct, frozen=True, kw_only=True):
    api: str
    version: str
    title: str
    summary: str
    released: date
    status: Status = "current"
    deprecated_at: datetime | None = None
    """When the version is (or will be) deprecated; required when deprecated."""
    sunset: datetime | None = None
    """When it stops answering (RFC 8594); optional."""
    successor: str | None = None
    """The key (``storefront-v2``) of the version that replaces it; required when deprecated."""
    changelog: tuple[ChangelogEntry, ...] = ()

    def __post_init__(self) -> None:
        if self.status == "deprecated" and (self.deprecated_at is None or self.successor is None):
            raise ValueError(f"{self.key}: a deprecated version needs deprecated_at and successor")
        for moment in (self.deprecated_at, self.sunset):
            if moment is not None and moment.tzinfo is None:
                raise ValueError(f"{self.key}: deprecation times must be timezone-aware")

    @property
    def key(self) -> str:
        return f"{self.api}-{self.version}"

    @property
    def base_path(self) -> str:
        return f"/{self.version}/{self.api}"

    def deprecation_headers(self) -> list[tuple[str, str]]:
        """``Deprecation`` and ``Sunset`` for a deprecated version (none for a current one)."""
        if self.status != "deprecated" or self.deprecated_at is None:
            return []
        headers = [("deprecation", f"@{int(self.deprecated_at.timestamp())}")]
        if self.sunset is not None:
            headers.append(("sunset", format_datetime(self.sunset.astimezone(UTC), usegmt=True)))
        return headers


class VersionRegistry:
    """An ordered, validated set of versions: unique keys, known successors, no cycles."""

    def __init__(self, versions: Iterable[ApiVersion]) -> None:
        self._versions = {v.key: v for v in versions}
        for v in self._versions.values():
            if v.successor is not None and v.successor not in self._versions:
                raise ValueError(f"{v.key}: unknown successor {v.successor!r}")
        self.successors_first()  # raises on a cycle

    def __iter__(self) -> Iterator[ApiVersion]:
        return iter(self._versions.values())

    def get(self, key: str) -> ApiVersion:
        return self._versions[key]

    def replace(self, key: str, **changes: object) -> "VersionRegistry":
        """A copy with one entry changed (e.g. deprecated), for previews and tests."""
        changed = msgspec.structs.replace(self._versions[key], **changes)
        return VersionRegistry(changed if v.key == key else v for v in self)

    def successors_first(self) -> list[ApiVersion]:
        """Every version after its successor, so a version can be built knowing it."""
        ordered: list[ApiVersion] = []
        pending = list(self)
        while pending:
            ready = [v for v in pending if v.successor is None or v.successor in {o.key for o in ordered}]
            if not ready:
                raise ValueError(f"successor cycle among {[v.key for v in pending]}")
            ordered += ready
            pending = [v for v in pending if v not in ready]
        return ordered

    def successor_link(self, version: ApiVersion, path: str, successor_templates: Iterable[str]) -> str | None:
        """The successor's equivalent of `path` when it serves one, else its base path."""
        if version.successor is None:
            return None
        successor = self.get(version.successor)
        candidate = successor.base_path + path.removeprefix(version.base_path)
        if path.startswith(version.base_path) and any(_template_matches(t, candidate) for t in successor_templates):
            return candidate
        return successor.base_path + "/"


def _template_matches(template: str, path: str) -> bool:
    pattern = re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(template))
    return re.fullmatch(pattern, path) is not None


RELEASE = date(2026, 11, 23)
VERSIONS = VersionRegistry([
    ApiVersion(api="storefront", version="v1", title="Commerce Hub Storefront API", released=RELEASE,
               summary="Checkout-grade price and availability, orders and returns for web storefronts.",
               changelog=(ChangelogEntry(on=RELEASE, change="First release: product price and availability, "
                                                              "checkout basket."),)),
    ApiVersion(api="storefront", version="v2", title="Commerce Hub Storefront API", released=RELEASE,
               summary="Storefront API with money as `{amount, currency}` objects.",
               changelog=(ChangelogEntry(on=RELEASE, change="Money as `{amount, currency}` objects in the product "
                                                              "and basket answers; the top-level `currency` is gone."),)),
    ApiVersion(api="mobile", version="v1", title="Commerce Hub Mobile API", released=RELEASE,
               summary="Compact product answers for mobile apps, at the signed-in customer's price.",
               changelog=(ChangelogEntry(on=RELEASE, change="First release: product with stock level."),)),
    ApiVersion(api="partner", version="v1", title="Commerce Hub Partner API", released=RELEASE,
               summary="B2B partners: the bound customer's price list with quantity breaks.",
               changelog=(ChangelogEntry(on=RELEASE, change="First release: paged price list."),)),
])
"""The published versions; `experience_apis.registry.build_experiences` builds one app for each."""


def list_versions(registry: VersionRegistry | None = None) -> list[ApiVersion]:
    """Every version with its status, sunset and changelog, for the developer portal."""
    return list(registry or VERSIONS)
