"""The portal's guides: authentication per channel, plans and RateLimit headers,
idempotency and webhook verification. Facts only the hub's behaviour backs."""

from __future__ import annotations

from shared.settings import Plan

from gateway.portal.html import code_block, esc, inline, table


def auth_guide(sandbox_keys: bool = False) -> str:
    token = esc("""curl -s -X POST "{ORIGIN}/oauth/token" \\
  -d "grant_type=client_credentials&client_id=$KEY_ID&client_secret=$KEY_SECRET&scope=catalog:read"
# -> {"access_token": "eyJ…", "token_type": "Bearer", "expires_in": 900, "scope": "catalog:read"}
curl -s "{ORIGIN}/v1/partner/price-list" -H "Authorization: Bearer $TOKEN\"""")
    token = token.replace("{ORIGIN}", '<span class="origin">http://localhost:8080</span>')
    make_key = esc("./hub keys create --consumer web-shop --scope catalog:read --scope customers:any --json\n"
                   "# or, with an admin key:\n"
                   "curl -s -X POST localhost:8080/admin/v1/keys -H \"X-API-Key: $HUB_ADMIN_KEY\" \\\n"
                   "  -d '{\"consumer\": \"web-shop\", \"scopes\": [\"catalog:read\", \"customers:any\"]}'\n"
                   "# -> {\"id\": \"key_…\", \"key\": \"chub_…\", …}   the secret is shown only here")
    scopes = table(("scope", "allows"), [(f"<code>{s}</code>", inline(t)) for s, t in (
        ("catalog:read", "product price and availability, baskets, the partner price list"),
        ("orders:write", "placing orders"), ("orders:read", "reading orders"),
        ("returns:write", "requesting returns"), ("returns:read", "reading returns"),
        ("customers:any", "acting for any customer with `customer_id` (trusted backends only)"),
        ("webhooks:manage", "reserved for webhook subscriptions"),
        ("metrics:read", "`/metrics` (a Prometheus scraper)"),
        ("console", "the ops console: flows, journeys, backends, alerts, dead letters (not keys or plans)"),
        ("admin", "the admin API (`/admin/v1`)"))])
    return f"""<h1>Authentication</h1>
<p>Every API call carries one credential: <code>X-API-Key: &lt;key&gt;</code> or
<code>Authorization: Bearer &lt;token&gt;</code>. Missing, unknown, revoked or expired credentials get
<a href="/docs/problems/unauthorized">401 <code>unauthorized</code></a> with <code>WWW-Authenticate</code>;
a valid credential without the operation's scope gets
<a href="/docs/problems/insufficient_scope">403 <code>insufficient_scope</code></a>.</p>
<h2>Scopes</h2>{scopes}
<p>A key may be <strong>bound to a customer</strong> (<code>--customer CUST-ACME</code>): it then prices and
orders as that customer only. Without a binding it acts as a guest, or for the <code>customer_id</code> it
names when it holds <code>customers:any</code>.</p>
<h2 id="storefront">Storefront (web shops): API key</h2>
<p>Your storefront's backend holds an API key made by an operator and sends it as <code>X-API-Key</code>.
Keep it on the server: never ship it to browsers.</p>
{code_block(make_key, "shell", "make a key")}
<h2 id="mobile">Mobile apps: your identity provider's JWT</h2>
<p>Apps send <code>Authorization: Bearer &lt;JWT&gt;</code> from the identity provider the hub trusts,
configured by <code>HUB_JWT_ISSUER</code>, <code>HUB_JWT_AUDIENCE</code> and <code>HUB_JWT_JWKS_URL</code>.
The token must be signed <strong>RS256 or ES256</strong> with a key in that JWKS (its <code>kid</code>), and carry
<code>iss</code>, <code>aud</code>, <code>exp</code>, <code>nbf</code> and <code>sub</code> (60 s clock leeway at most).
The customer is the <code>customer_id</code> claim, else <code>sub</code>; the scopes are the <code>scope</code>
claim (space-separated), never <code>admin</code> or <code>customers:any</code>.</p>
<h2 id="partner">Partners: a bound key, or OAuth2 client credentials</h2>
<p>A partner key is bound to the partner's customer (plan <code>partner</code>){
' (on this sandbox, make one yourself: <a href="/docs#sandbox-key">Get a sandbox key</a>)' if sandbox_keys else ""}. Send it as
<code>X-API-Key</code>, or trade it for a short-lived bearer token at <code>POST /oauth/token</code> (RFC 6749
client credentials: <code>client_id</code> is the key's <code>id</code>, <code>client_secret</code> the key; the
scopes asked must be the key's). Tokens are ES256 JWTs, public keys at
<a href="/.well-known/jwks.json"><code>/.well-known/jwks.json</code></a>. Revoking the key ends its tokens within a
second. Token endpoint errors are RFC 6749 JSON (<code>invalid_client</code>, <code>invalid_scope</code>, …).</p>
{code_block(token, "shell", "client credentials")}
<h2 id="admin">Operators: admin key</h2>
<p>The admin API (<a href="/docs/admin-v1">reference</a>) needs a key with the scope <code>admin</code>.
The first one comes from <code>HUB_BOOTSTRAP_ADMIN_KEY</code>; make the others with the admin API or
<code>hub keys create --scope admin</code>. Rotate with <code>POST /admin/v1/keys/{{id}}/rotate</code>.
An operator who needs the ops console but not keys or plans gets a <code>console</code> key
(<code>hub keys create --scope console</code>): flows, journeys, backends (pause and resume), alerts and
dead letters (replay, resolve); the other admin routes answer it 403.</p>"""


def plans_guide(plans: dict[str, Plan]) -> str:
    rows = [(f"<code>{esc(name)}</code>", esc(f"{plan.rate_per_second:g}"), esc(plan.burst),
             esc(f"{plan.burst / plan.rate_per_second:g}" if plan.rate_per_second else "-"))
            for name, plan in sorted(plans.items(), key=lambda p: p[1].rate_per_second)]
    return f"""<h1>Plans and rate limits</h1>
<p>Every key has a plan; a plan is a token bucket: a steady rate per second and a burst. These are this
hub's plans as configured at start (operators change them with <code>PUT /admin/v1/plans/{{name}}</code>, in force
on every instance within a second; your answers' headers always tell the current values).</p>
{table(("plan", "requests/s", "burst", "window (s)"), rows)}
<h2>The RateLimit headers</h2>
<p>Every authenticated answer carries two headers (IETF <em>RateLimit header fields for HTTP</em>):</p>
<pre><code>RateLimit-Policy: "standard";q=40;w=2
RateLimit: "standard";r=39;t=1</code></pre>
<ul><li><code>RateLimit-Policy</code>: the plan's quota <code>q</code> (the burst) per window <code>w</code>
seconds (the time the bucket takes to refill).</li>
<li><code>RateLimit</code>: <code>r</code> requests left now, <code>t</code> seconds until the bucket is full.</li></ul>
<p>Over the limit the answer is <a href="/docs/problems/rate_limited">429 <code>rate_limited</code></a> with
<code>Retry-After</code> in seconds: wait that long, then retry. Pace yourself on <code>r</code> rather than
hitting 429s. A back office that throttles the hub is a different problem:
<a href="/docs/problems/backend_throttled">503 <code>backend_throttled</code></a>.</p>"""


def idempotency_guide() -> str:
    example = esc("""curl -s -X POST localhost:8080/v1/storefront/orders -H "X-API-Key: $HUB_KEY" \\
  -H 'Idempotency-Key: checkout-5531' -H 'Content-Type: application/json' \\
  -d '{"customer_id": "CUST-ACME", "lines": [{"sku": "SKU-1001", "quantity": 2, "unit_price": "99.00"}]}'
# -> 201 {"order_id": "ord_…", "status": "accepted", …}
# the same request again -> the same 201, with Idempotent-Replayed: true""")
    return f"""<h1>Idempotency</h1>
<p>Placing an order or a return (<code>POST …/orders</code>, <code>POST …/returns</code>) needs an
<code>Idempotency-Key</code> header of 1 to 255 characters; without it the answer is
<a href="/docs/problems/idempotency_key_missing">400 <code>idempotency_key_missing</code></a>.
Make one fresh key per business action (a UUID, or your checkout id) and send the same key when you retry it after a
timeout or a dropped connection: you never get a second order.</p>
{code_block(example, "shell", "retry safely")}
<ul>
<li>The same key with the same body answers the <strong>first answer again</strong> (status and body), with
<code>Idempotent-Replayed: true</code>. Refusals (422, 409) are replayed the same way.</li>
<li>The same key with a <strong>different body</strong>:
<a href="/docs/problems/idempotency_key_reused">422 <code>idempotency_key_reused</code></a>.</li>
<li>The same key while the first request still runs:
<a href="/docs/problems/idempotency_key_in_flight">409 <code>idempotency_key_in_flight</code></a> with
<code>Retry-After: 1</code>.</li>
<li>A failure that is not a refusal (a 5xx) is not stored: retrying with the same key runs the request anew.</li>
<li>Keys are kept per consumer and operation: two consumers may use the same key without meeting.</li></ul>"""


def webhooks_guide(partner_webhooks_served: bool, sandbox_keys: bool = False) -> str:
    verify = esc('''import base64, hashlib, hmac, time

def verify(secret: str, headers: dict[str, str], body: bytes, tolerance: int = 300) -> bool:
    """Standard Webhooks: True when the request is from the hub and fresh."""
    msg_id, stamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(time.time() - int(stamp)) > tolerance:
        return False  # too old or from the future: a replay
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{stamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(expected, candidate.removeprefix("v1,"))
               for candidate in headers["webhook-signature"].split() if candidate.startswith("v1,"))''')
    subscribe = esc('''curl -s -X POST "$HUB/v1/partner/webhooks" -H "X-API-Key: $PARTNER_KEY" \\
  -d '{"url": "https://partner.example/hooks/hub", "events": ["order.status_changed", "shipment.created"]}'
# -> 201 {"id": "wh_…", "url": …, "events": […], "secret": "whsec_…"}   the secret is shown only here''')
    status = (f"""<h2>Subscribe</h2>
<p>A partner key with the scope <code>webhooks:manage</code> subscribes a URL to any of
<code>order.status_changed</code>, <code>shipment.created</code>, <code>return.updated</code> and
<code>inventory.changed</code> (payload schemas: the <code>webhooks</code> section of the
<a href="/docs/partner-v1">partner reference</a>). Production takes public https URLs only; the sandbox also
takes http to 127.0.0.1. <code>GET /v1/partner/webhooks/{{id}}/deliveries</code> lists what was sent, and
<code>POST .../deliveries/{{webhook-id}}/replay</code> sends one again.</p>
{code_block(subscribe, "shell", "subscribe (curl)")}""" if partner_webhooks_served else
              '<p class="note">Partner webhook subscriptions (<code>/v1/partner/webhooks</code>) are coming in a '
              "later release; this is how their deliveries will be signed, so you can build the receiver now.</p>")
    walk = _first_webhook(verify) if partner_webhooks_served and sandbox_keys else ""
    return f"""<h1>Webhooks: verifying deliveries</h1>{walk}{status}
<p>The hub signs every webhook it sends the <a href="https://www.standardwebhooks.com/">Standard Webhooks</a>
way. Each delivery carries three headers:</p>
<ul><li><code>webhook-id</code>: the message id, the same on every retry of one event (deduplicate on it);</li>
<li><code>webhook-timestamp</code>: Unix seconds when it was sent;</li>
<li><code>webhook-signature</code>: space-separated <code>v1,&lt;base64&gt;</code> signatures, where each is the
base64 of HMAC-SHA256 over <code>{{webhook-id}}.{{webhook-timestamp}}.{{body}}</code> keyed with your
<code>whsec_…</code> secret, base64-decoded after the <code>whsec_</code> prefix. During a secret rotation two
signatures are sent; accept either.</li></ul>
<p>Verify against the raw body bytes (before any JSON parsing), compare in constant time, reject timestamps more
than five minutes off, and answer 2xx quickly; anything else is retried with backoff.</p>
{code_block(verify, "python", "verify a delivery (Python)")}"""


def _first_webhook(verify: str) -> str:
    """The sandbox walk from a partner key to a verified delivery, in four steps."""
    subscribe = esc("""HUB={ORIGIN}
PARTNER_KEY=chub_…   # from "Get a sandbox key" (partner)
curl -s -X POST "$HUB/v1/partner/webhooks" -H "X-API-Key: $PARTNER_KEY" \\
  -d '{"url": "http://127.0.0.1:9009/", "events": ["inventory.changed", "order.status_changed"]}'
# -> 201 {"id": "wh_…", …, "secret": "whsec_…"}   keep the secret: it is shown only here
WEBHOOK_ID=wh_…   # the "id" of that answer""")
    receiver = esc('''from http.server import BaseHTTPRequestHandler, HTTPServer
import json, os

SECRET = os.environ["WEBHOOK_SECRET"]  # the whsec_… of your subscription

class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        headers = {name.lower(): value for name, value in self.headers.items()}
        ok = verify(SECRET, headers, body)  # the verify() function below
        self.send_response(204 if ok else 401)
        self.end_headers()
        print("verified" if ok else "REJECTED", headers["webhook-id"], json.loads(body)["type"], flush=True)

HTTPServer(("127.0.0.1", 9009), Receiver).serve_forever()''')
    trigger = esc("""curl -s -X POST "$HUB/sandbox/wms/stock" \\
  -d '{"sku": "SKU-1003", "location": "DC-EAST", "on_hand": 450}'
# the receiver prints: verified msg_… inventory.changed
curl -s "$HUB/v1/partner/webhooks/$WEBHOOK_ID/deliveries" -H "X-API-Key: $PARTNER_KEY"   # what was sent""")
    origin = '<span class="origin">http://localhost:8080</span>'
    return f"""
<section class="walk" id="first-webhook"><h2>Your first verified webhook (sandbox)</h2>
<ol class="steps"><li><strong>A key.</strong> <a href="/docs#sandbox-key">Get a sandbox key</a> for the partner
channel: it holds <code>webhooks:manage</code> and is bound to your sandbox customer.</li>
<li><strong>Subscribe</strong> a local URL (the sandbox takes http to 127.0.0.1):
{code_block(subscribe.replace("{ORIGIN}", origin), "shell", "subscribe")}</li>
<li><strong>Receive and verify.</strong> Run this with <code>WEBHOOK_SECRET=whsec_…</code> set, beside the
<code>verify()</code> function at the end of this page. With the hub checked out,
<code>./hub webhooks receive --port 9009 --secret whsec_…</code> does the same and prints each verified delivery
as a JSON line.
{code_block(receiver, "python", "receiver (Python)")}</li>
<li><strong>Trigger an event</strong> in the sandbox: change a warehouse's stock, and an
<code>inventory.changed</code> delivery arrives within seconds (orders your customer places then send
<code>order.status_changed</code> as they move).
{code_block(trigger, "shell", "trigger and look")}</li></ol></section>"""


def sandbox_key_form() -> str:
    """The home page's self-service key form (HUB_SANDBOX=1 only); portal.js posts it."""
    example = esc("""curl -s -X POST "{ORIGIN}/docs/sandbox-keys" \\
  -d '{"channel": "partner", "customer": "CUST-ACME", "consumer": "my-app"}'
# -> 201 {"id": "key_…", "key": "chub_…", "scopes": […], "customer": "CUST-ACME", "expires_at": "…"}""")
    example = example.replace("{ORIGIN}", '<span class="origin">http://localhost:8080</span>')
    return f"""<section class="credential" id="sandbox-key" aria-labelledby="sk-h">
<h2 id="sk-h">Get a sandbox key</h2>
<p>This hub is a sandbox: make yourself a key here. A <strong>partner</strong> key may read the price list,
place and read orders and returns, and manage webhooks, bound to a sandbox customer; a <strong>storefront</strong>
key acts for any customer it names. It expires in 7 days. The secret is shown once and kept in this browser tab for
try-it.</p>
<form class="cred-row" id="sandbox-key-form"><label>Channel <select name="channel">
<option value="partner" selected>partner</option><option value="storefront">storefront</option></select></label>
<label>Sandbox customer <select name="customer"><option>CUST-ACME</option><option>CUST-BOLT</option></select></label>
<label class="grow">Your app's name <input name="consumer" required maxlength="48" pattern="[A-Za-z0-9][A-Za-z0-9._\\-]*"
placeholder="my-app" autocomplete="off" spellcheck="false"></label>
<button type="submit">Get a sandbox key</button></form>
<div id="sandbox-key-result" class="try-result" hidden><p class="try-status" role="status"></p>
<pre id="sandbox-key-secret"></pre><p class="meta" id="sandbox-key-meta"></p></div>
{code_block(example, "shell", "or with curl")}</section>"""
