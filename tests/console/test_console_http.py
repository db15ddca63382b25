"""The console's page and assets as HTTP sees them: served from the package by the hub itself,
no credential needed for the page (it holds no data), strict headers, no foreign origin."""

from __future__ import annotations

import re
from importlib.resources import files

import httpx
import pytest

from gateway.console import ASSETS, CSP

pytestmark = pytest.mark.e2e


def test_the_page_and_its_assets_are_served_with_strict_headers(hub) -> None:  # noqa: ANN001
    page = httpx.get(f"{hub.url}/console", timeout=10)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == CSP
    assert "script-src 'self';" in CSP and "unsafe" not in CSP and "connect-src 'self'" in CSP
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-cache"
    assert httpx.get(f"{hub.url}/console/", timeout=10).text == page.text
    linked = re.findall(r'(?:src|href)="(/console/[^"]+)"', page.text)
    assert sorted(u.split("?")[0] for u in linked) == sorted(f"/console/{a}" for a in ASSETS)
    for url in linked:
        asset = httpx.get(f"{hub.url}{url}", timeout=10)
        assert asset.status_code == 200
        assert asset.headers["content-type"].split(";")[0] in ("text/css", "text/javascript")
        assert asset.headers["x-content-type-options"] == "nosniff"
        assert "immutable" in asset.headers["cache-control"]
        assert asset.headers["etag"].strip('"') == url.split("?v=")[1]  # a new build, a new URL


def test_the_page_revalidates_with_its_etag(hub) -> None:  # noqa: ANN001
    first = httpx.get(f"{hub.url}/console", timeout=10)
    again = httpx.get(f"{hub.url}/console", headers={"If-None-Match": first.headers["etag"]}, timeout=10)
    assert again.status_code == 304 and again.content == b""
    stale = httpx.get(f"{hub.url}/console", headers={"If-None-Match": '"other"'}, timeout=10)
    assert stale.status_code == 200 and stale.text == first.text


@pytest.mark.parametrize("path", ["/console/nope.js", "/consoles", "/console/console.js/x", "/console/index.html"])
def test_anything_else_under_the_prefix_is_the_404_problem(hub, path) -> None:  # noqa: ANN001
    answer = httpx.get(f"{hub.url}{path}", timeout=10)
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "not_found"


def test_only_get_and_head(hub) -> None:  # noqa: ANN001
    assert httpx.head(f"{hub.url}/console", timeout=10).status_code == 200
    refused = httpx.post(f"{hub.url}/console", content=b"x", timeout=10)
    assert refused.status_code == 405 and refused.headers["allow"] == "GET, HEAD"


def test_the_assets_are_in_the_package_and_name_no_other_origin() -> None:
    static = files("gateway.console") / "static"
    for name in ("index.html", *ASSETS):
        text = (static / name).read_text(encoding="utf-8")
        assert not re.search(r"https?://", text), f"{name} names another origin"
        assert "innerHTML" not in text and "insertAdjacentHTML" not in text and "document.write" not in text
        assert "localStorage" not in text and "document.cookie" not in text
    assert "<script>" not in (static / "index.html").read_text()  # no inline script: CSP would refuse it
