"""Every portal page as HTML, rendered once from the hub's OpenAPI documents, the
version registry and the problem catalogue, then kept: nothing on a page depends on
the request."""

from __future__ import annotations

from typing import Callable

from experience_apis.versions import ApiVersion, VersionRegistry
from gateway.portal.documents import ADMIN, Documents
from gateway.portal.guides import auth_guide, idempotency_guide, plans_guide, sandbox_key_form, webhooks_guide
from gateway.portal.html import esc, inline, page, table
from gateway.portal.reference import operations, reference_body
from shared.problem_catalogue import CATALOGUE, ProblemCode
from shared.settings import Plan

CHANNEL_AUTH = {
    "storefront": ("API key in <code>X-API-Key</code>", "storefront"),
    "mobile": ("your identity provider's JWT (RS256/ES256) as a bearer token", "mobile"),
    "partner": ("a key bound to your customer, or an OAuth2 client-credentials token", "partner"),
    "admin": ("an API key with the scope <code>admin</code>", "admin"),
}


class Site:
    def __init__(self, documents: Documents, versions: VersionRegistry, plans: dict[str, Plan],
                 partner_webhooks: bool | None = None, *, sandbox_keys: bool = False) -> None:
        self._documents = documents
        self._sandbox_keys = sandbox_keys  # the hub mints sandbox keys (HUB_SANDBOX=1): offer the form
        self._versions = versions
        self._plans = plans
        self._partner_webhooks = partner_webhooks  # None: whether the partner API documents the route
        self._pages: dict[str, bytes] = {}
        self._apis = [(v.key, f"{v.api.capitalize()} {v.version}", v.status) for v in versions
                      if v.key in documents.keys()]
        if ADMIN in documents.keys():
            self._apis.append((ADMIN, "Admin v1 (operators)", "current"))

    def _serves_partner_webhooks(self) -> bool:
        if self._partner_webhooks is None:
            partner = self._documents.parsed("partner-v1") if "partner-v1" in self._documents.keys() else {}
            self._partner_webhooks = "/v1/partner/webhooks" in partner.get("paths", {})
        return self._partner_webhooks

    def render(self, path: str) -> bytes | None:
        """The page at `path` (``/docs``, ``/docs/storefront-v1``...), or None when there is none."""
        path = path.rstrip("/") or "/docs"
        if path not in self._pages:
            builder = self._builder(path)
            if builder is None:
                return None
            title, body = builder()
            self._pages[path] = page(title, body, self._apis, path)
        return self._pages[path]

    def not_found(self) -> bytes:
        return page("Not found", '<h1>Not found</h1><p>No portal page here. Start from the '
                    '<a href="/docs">portal home</a> or the <a href="/docs/problems">problem codes</a>.</p>', self._apis)

    def _builder(self, path: str) -> Callable[[], tuple[str, str]] | None:
        fixed: dict[str, Callable[[], tuple[str, str]]] = {
            "/docs": self._home,
            "/docs/auth": lambda: ("Authentication", auth_guide(self._sandbox_keys)),
            "/docs/plans": lambda: ("Plans and rate limits", plans_guide(self._plans)),
            "/docs/idempotency": lambda: ("Idempotency", idempotency_guide()),
            "/docs/webhooks": lambda: ("Webhooks", webhooks_guide(self._serves_partner_webhooks(), self._sandbox_keys)),
            "/docs/changelog": self._changelog,
            "/docs/problems": self._problems,
        }
        if path in fixed:
            return fixed[path]
        name = path.removeprefix("/docs/")
        if name in self._documents.keys():
            return lambda: self._reference(name)
        code = path.removeprefix("/docs/problems/")
        if path.startswith("/docs/problems/") and code in CATALOGUE:
            return lambda: (f"Problem {code}", _problem(CATALOGUE[code]))
        return None

    def _version(self, key: str) -> ApiVersion | None:
        return next((v for v in self._versions if v.key == key), None)

    def _home(self) -> tuple[str, str]:
        cards = []
        for key, label, status in self._apis:
            version = self._version(key)
            summary = version.summary if version else "Keys, plans, the cache, dead letters, returns under review."
            count = len(operations(self._documents.parsed(key)))
            cards.append(f'<li class="card"><h3><a href="/docs/{esc(key)}">{esc(label)}</a> '
                         f'<span class="badge {esc(status)}">{esc(status)}</span></h3><p>{inline(summary)}</p>'
                         f'<p class="meta">{count} operations · auth: {CHANNEL_AUTH[key.split("-")[0]][0]} · '
                         f'<a href="/openapi/{esc(key)}.json">OpenAPI 3.1</a></p></li>')
        return "Developer portal", f"""<h1>Commerce Hub developer portal</h1>
<p class="lead">One edge for storefronts, mobile apps and partners: checkout-grade price and availability, orders
and returns, answered from the back office (ERP, WMS, POS) in tens of milliseconds. Every operation below can be
tried against this hub's sandbox with a key.</p>
<h2>Start in three steps</h2>
<ol class="steps"><li>Get a key: {"use <em>Get a sandbox key</em> below (it is yours at once), or ask an operator"
 if self._sandbox_keys else "an operator makes one for you"} (see <a href="/docs/auth">authentication</a>).</li>
<li>Open an API below ({"the key is already in" if self._sandbox_keys else "paste the key in"} <em>Your
credential</em>), and press <em>Try it</em> on <code>GET /v1/storefront/products/{{sku}}</code> with
<code>SKU-1001</code>{", or <code>GET /v1/partner/price-list</code> with a partner key" if self._sandbox_keys else ""}.</li>
<li>Copy the curl or Python example into your code. Errors are
<a href="/docs/problems">problems</a> with a stable <code>code</code>.</li></ol>
{sandbox_key_form() if self._sandbox_keys else ""}
<h2>APIs</h2><ul class="cards">{"".join(cards)}</ul>
<h2>Guides</h2><ul class="guides">
<li><a href="/docs/auth">Authentication</a>: API keys, mobile JWTs, OAuth2 client credentials, admin keys.</li>
<li><a href="/docs/plans">Plans and rate limits</a>: the plans and the <code>RateLimit</code> headers.</li>
<li><a href="/docs/idempotency">Idempotency</a>: retrying orders and returns safely.</li>
<li><a href="/docs/webhooks">Webhooks</a>: from a partner key to a verified delivery.</li>
<li><a href="/docs/changelog">Changelog</a>: versions, deprecations and sunsets.</li>
<li><a href="/docs/problems">Problem codes</a>: every error the hub answers, and what to do.</li></ul>"""

    def _reference(self, key: str) -> tuple[str, str]:
        document = self._documents.parsed(key)
        version = self._version(key)
        api = key.split("-")[0]
        auth, anchor = CHANNEL_AUTH[api]
        status = version.status if version else "current"
        lines = [f'<h1>{esc(document["info"]["title"])} <span class="version">{esc(document["info"]["version"])}</span>'
                 f' <span class="badge {esc(status)}">{esc(status)}</span></h1>']
        if version:
            lines.append(f'<p class="lead">{inline(version.summary)}</p>')
            if version.status == "deprecated" and version.deprecated_at:
                sunset = f", sunset {version.sunset.date().isoformat()}" if version.sunset else ""
                lines.append(f'<p class="note">Deprecated since {version.deprecated_at.date().isoformat()}{sunset}: '
                             f'move to <a href="/docs/{esc(version.successor)}">{esc(version.successor)}</a>.</p>')
        else:
            lines.append(f'<p class="lead">{inline(document["info"].get("description", ""))}</p>')
        base = version.base_path if version else "/admin/v1"
        lines.append(f'<p class="meta">Base path <code>{esc(base)}</code> · auth: {auth} '
                     f'(<a href="/docs/auth#{anchor}">guide</a>) · '
                     f'<a href="/openapi/{esc(key)}.json">OpenAPI 3.1 document</a> · '
                     '<a href="/docs/changelog">changelog</a></p>')
        label = next(label for k, label, _ in self._apis if k == key)
        return label, reference_body(key, document, "\n".join(lines))

    def _changelog(self) -> tuple[str, str]:
        rows, entries = [], []
        for v in self._versions:
            deprecated = v.deprecated_at.date().isoformat() if v.deprecated_at else ""
            sunset = v.sunset.date().isoformat() if v.sunset else ""
            rows.append((f'<a href="/docs/{esc(v.key)}">{esc(v.key)}</a>', f'<span class="badge {esc(v.status)}">'
                         f'{esc(v.status)}</span>', esc(v.released.isoformat()), esc(deprecated) or "–",
                         esc(sunset) or "–", esc(v.successor or "") or "–"))
            entries += [(e.on, v.key, e.change) for e in v.changelog]
        log = "".join(f"<li><time>{esc(on.isoformat())}</time> <strong>{esc(key)}</strong>: {inline(change)}</li>"
                      for on, key, change in sorted(entries, key=lambda e: (e[0], e[1]), reverse=True))
        return "Changelog", f"""<h1>Changelog</h1>
<p>The version is in the path. A published version never breaks: no removed or renamed field, no changed type or
status code, no new required input. A deprecated version keeps answering until its sunset, and every answer says so:
<code>Deprecation: @&lt;unix seconds&gt;</code> (RFC 9745), <code>Sunset: &lt;date&gt;</code> (RFC 8594) and
<code>Link: &lt;successor path&gt;; rel="successor-version"</code>.</p>
<h2>Versions</h2>{table(("version", "status", "released", "deprecated", "sunset", "successor"), rows)}
<h2>Changes</h2><ul class="changelog">{log}</ul>"""

    def _problems(self) -> tuple[str, str]:
        rows = [(f'<a href="/docs/problems/{esc(p.code)}"><code>{esc(p.code)}</code></a>',
                 ", ".join(esc(s) for s in p.statuses), esc(p.title), "yes" if p.retry else "")
                for p in sorted(CATALOGUE.values(), key=lambda p: (p.statuses[0], p.code))]
        return "Problem codes", f"""<h1>Problem codes</h1>
<p>Every error is an RFC 9457 <code>application/problem+json</code> document: <code>type</code> (a link to this
code's page), <code>title</code>, <code>status</code>, <code>detail</code>, a stable machine <code>code</code> and the
<code>trace_id</code> to quote to support. Branch on <code>code</code>, never on <code>detail</code>.</p>
<pre><code>{esc('{"type": "/docs/problems/unknown_sku", "title": "Not found", "status": 404, "detail": "unknown SKU SKU-9999",')}
{esc(' "code": "unknown_sku", "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "instance": "/v1/storefront/products/SKU-9999"}')}</code></pre>
{table(("code", "status", "title", "retry later?"), rows)}"""


def _problem(problem: ProblemCode) -> str:
    statuses = " or ".join(str(s) for s in problem.statuses)
    retry = ("The same request may succeed later: retry with backoff, honouring <code>Retry-After</code>."
             if problem.retry else "Retrying the same request unchanged will not help.")
    return f"""<p class="crumbs"><a href="/docs/problems">Problem codes</a> /</p>
<h1><code>{esc(problem.code)}</code></h1>
<p class="lead">{esc(problem.title)} · HTTP {esc(statuses)}</p>
<h2>What it means</h2><p>{inline(problem.meaning)}</p>
<h2>What to do</h2><p>{inline(problem.action)}</p><p>{retry}</p>
<h2>On the wire</h2><pre><code>{esc(f'{{"type": "/docs/problems/{problem.code}", "title": "…", ')}
{esc(f' "status": {problem.statuses[0]}, "code": "{problem.code}", "detail": "…", "trace_id": "…"}}')}</code></pre>"""
