"""The portal's HTML building blocks: escaping, inline markup and the page layout.

Pages are plain server-rendered HTML with one stylesheet and one script from
``/docs/static/`` (no inline script or style, so the Content-Security-Policy is
``'self'`` only) and no third-party asset of any kind."""

from __future__ import annotations

import html
import re
from string import Template

STATIC_VERSION = "5"
"""Bumped when portal.css or portal.js change (the assets are cached for a day)."""

_CURRENT = ' aria-current="page"'
_INLINE = re.compile(r"`([^`]+)`|\*\*([^*]+)\*\*")

NAV = (
    ("/docs", "Home"), ("/docs/auth", "Authentication"), ("/docs/plans", "Plans and limits"),
    ("/docs/idempotency", "Idempotency"), ("/docs/webhooks", "Webhooks"), ("/docs/changelog", "Changelog"),
    ("/docs/problems", "Problems"),
)

_LAYOUT = Template("""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title · Commerce Hub developer portal</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/docs/static/portal.css?v=$static">
<script src="/docs/static/portal.js?v=$static" defer></script>
</head>
<body>
<header class="top"><a class="brand" href="/docs">Commerce Hub <span>developers</span></a>
<nav aria-label="Portal">$nav</nav></header>
<div class="page">
<aside class="side" aria-label="APIs">$side</aside>
<main id="main">
$body
</main>
</div>
<footer class="foot">Commerce Hub · OpenAPI documents at <a href="/openapi/storefront-v1.json">/openapi/{api}-{version}.json</a>
· <a href="/docs/problems">problem codes</a></footer>
</body>
</html>
""")


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def inline(text: str) -> str:
    """Escaped text with `code` and **bold** marked up (the subset the hub's texts use)."""
    out, last = [], 0
    for match in _INLINE.finditer(text):
        out.append(esc(text[last:match.start()]))
        out.append(f"<code>{esc(match[1])}</code>" if match[1] is not None else f"<strong>{esc(match[2])}</strong>")
        last = match.end()
    return "".join(out) + esc(text[last:])


def code_block(text: str, language: str, label: str) -> str:
    """A copyable example: the copy button copies the block's text as shown."""
    return (f'<div class="example"><div class="example-bar"><span>{esc(label)}</span>'
            f'<button type="button" class="copy" aria-label="Copy the {esc(label)} example">Copy</button></div>'
            f'<pre><code class="lang-{esc(language)}">{text}</code></pre></div>')


def page(title: str, body: str, apis: list[tuple[str, str, str]], current: str = "") -> bytes:
    """A whole page. `apis`: (key, label, status) of every documented API, for the side bar."""
    nav = "".join(f'<a href="{href}"{_CURRENT if href == current else ""}>{esc(label)}</a>' for href, label in NAV)
    side = "<h2>API reference</h2><ul>" + "".join(
        f'<li><a href="/docs/{esc(key)}"{_CURRENT if f"/docs/{key}" == current else ""}>'
        f'{esc(label)}</a>{"" if status == "current" else f" <span class=badge>{esc(status)}</span>"}</li>'
        for key, label, status in apis) + "</ul>"
    return _LAYOUT.substitute(title=esc(title), static=STATIC_VERSION, nav=nav, side=side, body=body).encode()


def table(head: tuple[str, ...], rows: list[tuple[str, ...]], caption: str = "") -> str:
    """A table of already-escaped cells, scrollable on a narrow screen."""
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return ('<div class="scroll"><table>' + cap + "<thead><tr>" + "".join(f"<th>{h}</th>" for h in head)
            + "</tr></thead><tbody>" + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>"
                                               for row in rows) + "</tbody></table></div>")
