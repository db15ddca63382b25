"""The portal over plain HTTP against a real hub: every page answers, links resolve, each
problem's `type` is a page, the assets are local and the HTML is locked to 'self'."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from experience_apis.versions import VERSIONS
from shared.problem_catalogue import CATALOGUE
from tests.portal.conftest import ADMIN_KEY, Hub

pytestmark = pytest.mark.e2e
PAGES = ["/docs", "/docs/", "/docs/auth", "/docs/plans", "/docs/idempotency", "/docs/webhooks", "/docs/changelog",
         "/docs/problems", "/docs/admin-v1", *(f"/docs/{v.key}" for v in VERSIONS)]


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.assets: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(found["id"] or "")
        if tag == "a" and found.get("href"):
            self.hrefs.append(found["href"] or "")
        if tag in ("script", "img", "iframe") and found.get("src"):
            self.assets.append(found["src"] or "")
        if tag == "link" and found.get("href"):
            self.assets.append(found["href"] or "")


def parse(html: str) -> Links:
    links = Links()
    links.feed(html)
    return links


@pytest.mark.parametrize("path", PAGES)
def test_every_page_is_html_locked_to_self(hub: Hub, path: str) -> None:
    answer = httpx.get(hub.url + path)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    csp = answer.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in answer.text and " style=" not in answer.text  # nothing the CSP would block
    head = httpx.head(hub.url + path)
    assert head.status_code == 200 and head.content == b""


def test_every_link_from_the_home_page_resolves_and_every_anchor_exists(hub: Hub) -> None:
    seen: dict[str, Links] = {}
    queue = ["/docs"]
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        answer = httpx.get(hub.url + path)
        assert answer.status_code == 200, f"{path} -> {answer.status_code}"
        if not answer.headers["content-type"].startswith("text/html"):
            seen[path] = Links()
            continue
        seen[path] = links = parse(answer.text)
        for href in links.hrefs:
            target = urlsplit(urljoin(hub.url + path, href))
            if target.netloc != urlsplit(hub.url).netloc:
                continue  # an outside reference (a spec), never loaded by the page
            if target.path == path and target.fragment:
                assert target.fragment in links.ids, f"{path}: no #{target.fragment}"
            elif target.path.startswith(("/docs", "/openapi")):
                queue.append(target.path)
    assert {f"/docs/problems/{code}" for code in CATALOGUE} <= set(seen)
    assert {f"/openapi/{v.key}.json" for v in VERSIONS} | {"/openapi/admin-v1.json"} <= set(seen)


def test_pages_load_only_local_assets(hub: Hub) -> None:
    for path in PAGES:
        for asset in parse(httpx.get(hub.url + path).text).assets:
            assert asset.startswith(("/docs/static/", "data:")), f"{path} loads {asset}"
    css = httpx.get(hub.url + "/docs/static/portal.css").text
    assert "@import" not in css and not re.search(r"url\((?!['\"]?data:)", css)


@pytest.mark.parametrize(("name", "kind"), [("portal.css", "text/css"), ("portal.js", "text/javascript")])
def test_the_assets_are_served_with_their_type_and_cached(hub: Hub, name: str, kind: str) -> None:
    answer = httpx.get(f"{hub.url}/docs/static/{name}")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith(kind)
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "max-age=86400" in answer.headers["cache-control"]


def test_a_problem_type_names_the_page_that_explains_it(hub: Hub) -> None:
    key = hub.new_key("catalog:read")
    problem = httpx.get(f"{hub.url}/v1/storefront/products/SKU-9999", headers={"X-API-Key": key}).json()
    assert (problem["status"], problem["code"]) == (404, "unknown_sku")
    assert problem["type"] == "/docs/problems/unknown_sku"
    page = httpx.get(urljoin(hub.url, problem["type"]))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<code>unknown_sku</code>" in page.text and "What to do" in page.text


def test_unknown_pages_are_404s_people_can_read(hub: Hub) -> None:
    for path in ("/docs/nope", "/docs/problems/no_such_code", "/docs/static/other.js", "/docs/storefront-v9"):
        answer = httpx.get(hub.url + path)
        assert answer.status_code == 404 and answer.headers["content-type"].startswith("text/html"), path
        assert 'href="/docs"' in answer.text
    answer = httpx.get(hub.url + "/openapi/nope.json")
    assert answer.status_code == 404 and answer.headers["content-type"] == "application/problem+json"


def test_the_portal_takes_only_reads(hub: Hub) -> None:
    answer = httpx.post(hub.url + "/docs/auth", content=b"x")
    assert answer.status_code == 405 and answer.headers["allow"] == "GET, HEAD"


def test_the_admin_api_has_its_own_openapi_document(hub: Hub) -> None:
    answer = httpx.get(hub.url + "/openapi/admin-v1.json")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    document = answer.json()
    assert document["openapi"].startswith("3.1") and document["info"]["version"] == "v1"
    assert {"/admin/v1/keys", "/admin/v1/plans", "/admin/v1/cache/purge"} <= set(document["paths"])
    assert document["security"] == [{"ApiKey": []}]
    assert "admin" in httpx.get(hub.url + "/docs/admin-v1").text
    keys = httpx.get(hub.url + "/admin/v1/keys", headers={"X-API-Key": ADMIN_KEY})
    assert keys.status_code == 200  # the document did not change the API it describes


def test_the_reference_has_examples_and_try_it_for_every_operation(hub: Hub) -> None:
    for version in VERSIONS:
        document = httpx.get(f"{hub.url}/openapi/{version.key}.json").json()
        html = httpx.get(f"{hub.url}/docs/{version.key}").text
        for item in document["paths"].values():
            for operation in item.values():
                section = html.split(f'id="op-{operation["operationId"]}"', 1)[1].split("</section>", 1)[0]
                assert "lang-shell" in section and "curl -s" in section, operation["operationId"]
                assert "import httpx" in section and 'class="try-form"' in section, operation["operationId"]


def test_the_webhooks_guide_shows_how_to_subscribe_now_that_the_partner_api_serves_it(hub: Hub) -> None:
    """It said "coming in a later release" after /v1/partner/webhooks was served."""
    assert "/v1/partner/webhooks" in httpx.get(f"{hub.url}/openapi/partner-v1.json").json()["paths"]
    page = httpx.get(f"{hub.url}/docs/webhooks").text
    assert "later release" not in page
    assert "<h2>Subscribe</h2>" in page and "webhooks:manage" in page and "whsec_" in page
