/* Commerce Hub operations console. Plain JavaScript, no framework, no build step.
 *
 * Every action is a call to the admin API (/admin/v1/...) with the key the operator typed,
 * kept in sessionStorage (this tab only; never in the URL or in lasting storage). Every value from
 * the hub reaches the page as text (textContent, text nodes, attributes): never as HTML.
 * The open section refreshes itself every few seconds while the tab is visible. The dead letters
 * section is in deadletters.js (loaded after this file), built with the kit exported below.
 */
"use strict";
(() => {
  const STORE = "commerceHub.console.key";
  const POLL_MS = 5000;
  const SCOPES = ["catalog:read", "orders:write", "orders:read", "returns:write", "returns:read",
    "webhooks:manage", "customers:any", "admin", "console", "metrics:read"];
  const $ = (id) => document.getElementById(id);
  const session = { key: null, active: false, timer: null, panel: null, refreshing: false, again: false, admin: false };

  // ---- DOM: text only ---------------------------------------------------------------------------
  function h(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child));  // a string becomes a text node
    }
    return node;
  }
  const dash = "\u2014";
  const pad = (n) => String(n).padStart(2, "0");
  function when(iso) {
    if (!iso) return dash;
    const t = new Date(iso);
    if (Number.isNaN(t.getTime())) return String(iso);
    const day = `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())}`;
    return h("time", { datetime: iso, title: iso }, `${day} ${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}`);
  }
  function age(seconds) {
    if (seconds === null || seconds === undefined) return dash;
    const s = Math.max(0, Math.round(Number(seconds)));
    if (s < 120) return `${s} s`;
    if (s < 7200) return `${Math.round(s / 60)} min`;
    if (s < 172800) return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
    return `${Math.round(s / 86400)} d`;
  }
  const since = (iso) => (iso ? age((Date.now() - new Date(iso).getTime()) / 1000) : dash);
  const pct = (r) => (typeof r === "number" ? `${(r * 100).toFixed(r > 0 && r < 0.001 ? 2 : 1)}%` : dash);
  const ms = (v) => (typeof v === "number" ? `${v < 10 ? v.toFixed(1) : Math.round(v)} ms` : dash);
  const num = (v) => (typeof v === "number" ? v.toLocaleString("en-US") : dash);
  const TONES = { closed: "ok", active: "ok", done: "ok", resolved: "ok", running: "ok", posted: "ok",
    released: "ok", shipped: "ok", completed: "ok", half_open: "warn", retried: "warn", pending: "warn",
    paused: "warn", accepted: "warn", open: "bad", firing: "bad", revoked: "bad", dead_lettered: "bad",
    failed: "bad", rejected: "bad", waiting: "warn" };
  const badge = (value) => h("span", { class: `badge ${TONES[value] || ""}` }, String(value ?? dash).replace(/_/g, " "));
  const chips = (values) => h("div", { class: "chips" }, (values || []).map((v) => h("span", { class: "chip" }, v)));

  /** A table: columns [{label, num, cls, cell(row)}]; an empty list shows `empty`. */
  function table(columns, rows, empty, attrs) {
    if (!rows.length) return h("div", { class: "empty" }, empty);
    const head = h("tr", {}, columns.map((c) => h("th", { class: c.num ? "num" : null, scope: "col" }, c.label)));
    const body = rows.map((row) => h("tr", (attrs && attrs(row)) || {},
      columns.map((c) => h("td", { class: c.num ? "num" : c.cls || null }, c.cell(row)))));
    return h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, head), h("tbody", {}, body)));
  }

  // ---- the admin API ----------------------------------------------------------------------------
  class ApiError extends Error {
    constructor(status, problem, path) {
      super((problem && (problem.detail || problem.title)) || (status ? `HTTP ${status}` : "The hub could not be reached."));
      this.status = status;
      this.problem = problem || {};
      this.path = path;
    }
  }
  async function api(method, path, body) {
    const init = { method, cache: "no-store", credentials: "omit", referrerPolicy: "no-referrer",
      headers: { "X-API-Key": session.key, Accept: "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(`/admin/v1${path}`, init);
    } catch (_) {
      throw new ApiError(0, null, path);
    }
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (_) { data = null; }
    if (!response.ok) {
      if (response.status === 401 && session.active) signOut("The hub no longer accepts this key: sign in again.");
      throw new ApiError(response.status, data, path);
    }
    return data;
  }
  const fieldErrors = (e) => (e.problem.errors || []).map((x) => `${x.field}: ${x.message}`).join("; ");
  const describe = (e) => [e.message, fieldErrors(e)].filter(Boolean).join(" ");
  /** What a section shows when its endpoint failed: 404 is "not available on this hub". */
  function failure(e, what) {
    if (e.status === 404) {
      return h("div", { class: "unavailable", "data-state": "unavailable" },
        `${what}: not available on this hub (GET /admin/v1${e.path.split("?")[0]} answered 404).`);
    }
    if (e.status === 403) return h("div", { class: "unavailable", "data-state": "forbidden" }, `This key may not read ${what.toLowerCase()}.`);
    return h("div", { class: "error", "data-state": "error" }, `${what} could not be loaded: ${describe(e)}`);
  }
  async function attempt(path) {
    try { return { data: await api("GET", path) }; } catch (error) { return { error }; }
  }

  // ---- feedback: toast and dialog ---------------------------------------------------------------
  let toastTimer = null;
  function toast(message, bad) {
    const node = $("toast");
    node.textContent = message;
    node.className = bad ? "toast bad" : "toast";
    node.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { node.hidden = true; }, 5000);
  }
  /** A modal form: `submit(form)` resolves truthy to close (a function: run once it is closed),
   * throws ApiError to show it inside. */
  let afterClose = null;
  function dialog({ title, body, submitLabel, submitClass, cancelLabel = "Cancel", submit }) {
    const box = $("dialog");
    $("dialog-title").textContent = title;
    $("dialog-body").replaceChildren(...body);
    $("dialog-error").hidden = true;
    const buttons = [];
    if (cancelLabel) buttons.push(h("button", { type: "button", onclick: () => box.close() }, cancelLabel));
    const ok = h("button", { type: "submit", class: submitClass || "primary" }, submitLabel);
    buttons.push(ok);
    $("dialog-actions").replaceChildren(...buttons);
    $("dialog-form").onsubmit = async (event) => {
      event.preventDefault();
      ok.disabled = true;
      try {
        const done = await submit($("dialog-form"));
        if (done) {
          afterClose = typeof done === "function" ? done : null;
          box.close();
        }
      } catch (e) {
        $("dialog-error").textContent = describe(e);
        $("dialog-error").hidden = false;
      } finally {
        ok.disabled = false;
      }
    };
    box.showModal();
    (box.querySelector("input:not([readonly]), select") || ok).focus();
  }
  function confirmAction(title, text, label, action) {
    dialog({ title, body: [h("p", {}, text)], submitLabel: label, submitClass: "danger solid",
      submit: async () => { await action(); return true; } });
  }
  /** The secret of a new or rotated key, shown once: gone from the page when the dialog closes. */
  function showSecret(created, lead) {
    const field = h("input", { type: "text", readonly: true, value: created.key, id: "secret-value",
      "aria-label": "Secret", spellcheck: "false" });
    const copy = h("button", { type: "button", onclick: async () => {
      field.select();
      try { await navigator.clipboard.writeText(created.key); } catch (_) { document.execCommand("copy"); }
      copy.textContent = "Copied";
    } }, "Copy");
    dialog({ title: "Copy the secret now", cancelLabel: null, submitLabel: "Done",
      body: [h("p", {}, lead), h("p", { class: "notice" }, "This is the only time the secret is shown. The hub keeps only its hash."),
        h("div", { class: "secret" }, field, copy),
        h("p", { class: "muted" }, "Key id ", h("code", {}, created.id), ` \u00b7 consumer ${created.consumer} \u00b7 plan ${created.plan}`)],
      submit: async () => true });
    field.select();
  }

  // ---- sections ---------------------------------------------------------------------------------
  const panels = {};
  function head(title, ...extra) { return h("div", { class: "panel-head" }, h("h1", {}, title), ...extra); }
  function slot(id, cls) { return h("div", { id, class: cls || "slot" }); }
  const put = (id, ...nodes) => { const n = $(id); if (n) n.replaceChildren(...nodes); };

  const countsOf = (counts) => {  // the states with work in them; all zero: a dash
    const busy = Object.entries(counts || {}).filter(([, v]) => v);
    return busy.length ? chips(busy.map(([k, v]) => `${k.replace(/_/g, " ")} ${num(v)}`)) : dash;
  };
  const flowColumns = [
    { label: "Flow", cell: (f) => h("strong", {}, String(f.flow).replace(/_/g, " ")) },
    { label: "Status", cell: (f) => (f.status ? badge(f.status) : dash) },
    { label: "Counts (1 h)", cell: (f) => countsOf(f.counts) },
    { label: "Done 5 min / 1 h", num: true, cell: (f) => (f.throughput ? `${num(f.throughput["5m"])} / ${num(f.throughput["1h"])}` : dash) },
    { label: "Error rate", num: true, cell: (f) => h("span", { class: f.error_rate > 0.05 ? "hot" : null }, pct(f.error_rate)) },
    { label: "p95", num: true, cell: (f) => ms(f.p95_ms) },
    { label: "Backlog", num: true, cell: (f) => num(f.backlog) },
    { label: "Oldest pending", num: true, cell: (f) => h("span", { class: f.oldest_pending_seconds > 120 ? "hot" : null }, age(f.oldest_pending_seconds)) },
    { label: "Dead letters", num: true, cell: (f) => num(f.dead_letters_open) },
  ];
  const circuitCell = (b) => h("span", {}, badge(b.circuit), b.circuit_since ? h("span", { class: "muted" }, ` ${since(b.circuit_since)}`) : null);
  const alertColumns = [
    { label: "Rule", cell: (a) => h("strong", {}, a.rule) },
    { label: "State", cell: (a) => badge(a.state) },
    { label: "Since", cls: "nowrap", cell: (a) => when(a.since) },
    { label: "Detail", cls: "wrap", cell: (a) => a.detail || dash },
  ];
  function tile(label, value, tone) {
    return h("div", { class: `tile ${tone || ""}` }, h("div", { class: "label" }, label), h("div", { class: "value" }, value));
  }

  panels.overview = {
    title: "Overview", poll: true,
    render: () => [head("Overview"), slot("tiles", "tiles"), h("h3", {}, "Flows"), slot("flows"),
      h("h3", {}, "Business"), slot("business"),
      h("div", { class: "grid-2" }, h("section", {}, h("h3", {}, "Backends"), slot("overview-backends")),
        h("section", {}, h("h3", {}, "Alerts"), slot("overview-alerts")))],
    async refresh() {
      const [flows, backends, alerts, letters] = await Promise.all(
        [attempt("/flows"), attempt("/backends"), attempt("/alerts"), attempt("/dead-letters?status=open&limit=200")]);
      const items = (r) => (r.data ? r.data.items || [] : null);
      const f = items(flows), b = items(backends), a = items(alerts), d = items(letters);
      const firing = a && a.filter((x) => x.state === "firing").length;
      const open = b && b.filter((x) => x.circuit !== "closed").length;
      const waiting = d && d.filter((x) => x.status === "open").length;
      const oldest = f && f.length ? Math.max(...f.map((x) => x.oldest_pending_seconds || 0)) : null;
      put("tiles", tile("Alerts firing", a ? num(firing) : dash, firing ? "bad" : ""),
        tile("Circuits not closed", b ? num(open) : dash, open ? "bad" : ""),
        tile("Dead letters waiting", d ? (d.length >= 200 && letters.data.next_cursor ? "200+" : num(waiting)) : dash, waiting ? "warn" : ""),
        tile("Oldest pending", f ? age(oldest) : dash, oldest > 120 ? "warn" : ""));
      put("flows", flows.error ? failure(flows.error, "Flows") : table(flowColumns, f, "No flows reported yet."));
      put("business", ...(flows.error ? [] : business(flows.data.business || {})));
      put("overview-backends", backends.error ? failure(backends.error, "Backends") : table([
        { label: "Backend", cell: (x) => h("strong", {}, x.backend) },
        { label: "Circuit", cell: circuitCell },
        { label: "Error rate", num: true, cell: (x) => h("span", { class: x.error_rate > 0.05 ? "hot" : null }, pct(x.error_rate)) },
        { label: "p95", num: true, cell: (x) => ms(x.p95_ms) },
        { label: "Work", cell: (x) => badge(x.paused ? "paused" : "running") },
      ], b, "No backends reported yet."));
      put("overview-alerts", alerts.error ? failure(alerts.error, "Alerts")
        : table(alertColumns, a.filter((x) => x.state === "firing"), "Nothing is firing."));
    },
  };

  /** The flows' business views: inventory propagation lag, refund exceptions, failures, order aging. */
  const AGES = [["lt_5m", "< 5 min"], ["5m_15m", "5\u201315 min"], ["15m_1h", "15 min\u20131 h"], ["1h_24h", "1\u201324 h"], ["gt_24h", "> 24 h"]];
  function business(b) {
    const lag = b.inventory_lag || {}, status = lag.status || {};
    const lagTile = (label, figure, state) => tile(label, figure ? ms(figure.p95) : (state || dash).replace(/_/g, " "),
      figure && figure.p95 > 2000 ? "warn" : "");
    const failures = (by) => (Object.keys(by || {}).length ? chips(Object.entries(by).map(([k, v]) => `${k} ${num(v)}`)) : "none");
    const aging = Object.entries(b.order_aging || {}).map(([s, buckets]) => ({ status: s, ...buckets }));
    return [h("div", { class: "tiles", id: "business-tiles" },
      lagTile("Inventory lag to checkout (p95, 1 h)", lag.to_checkout_ms, status.to_checkout),
      lagTile("Inventory lag to storefront (p95, 1 h)", lag.to_storefront_ms, status.to_storefront),
      tile("Refund exceptions open", num((b.refund_exceptions || {}).open), (b.refund_exceptions || {}).open ? "bad" : "")),
    h("div", { class: "toolbar" }, h("strong", {}, "Open dead letters by channel"), failures(b.failures_by_channel),
      h("strong", {}, "by backend"), failures(b.failures_by_backend)),
    table([{ label: "Open orders by time in status", cell: (r) => badge(r.status) },
      ...AGES.map(([key, label]) => ({ label, num: true, cell: (r) => h("span", { class: key === "gt_24h" && r[key] ? "hot" : null }, num(r[key])) }))],
    aging, "No open orders.")];
  }

  panels.journeys = {
    title: "Journeys",
    render(arg) {
      const input = h("input", { type: "search", id: "journey-ref", name: "ref", value: arg || "", maxlength: 255, required: true,
        placeholder: "Order id, channel ref (WEB-5531), PO, ERP order, RMA, shipment or tracking number", "aria-label": "Reference" });
      const form = h("form", { class: "toolbar", id: "journey-form", role: "search", onsubmit: (event) => {
        event.preventDefault();
        const ref = input.value.trim();
        if (ref) location.hash = `#journeys/${encodeURIComponent(ref)}`;
      } }, input, h("button", { type: "submit", class: "primary" }, "Find"));
      return [head("Journeys"), h("p", { class: "muted" }, "Where is an order or a return? Search by any identifier it has had."),
        form, slot("journeys-result")];
    },
    async refresh(arg) {
      if (!arg) return;
      put("journeys-result", h("div", { class: "empty" }, "Searching\u2026"));
      const found = await attempt(`/journeys?ref=${encodeURIComponent(arg)}`);
      if (found.error) return put("journeys-result", failure(found.error, "Journey search"));
      const items = found.data.items || [];
      if (!items.length) return put("journeys-result", h("div", { class: "empty" }, `Nothing has carried the reference \u201c${arg}\u201d.`));
      put("journeys-result", ...items.map(journeyCard));
    },
  };
  function journeyCard(j) {
    const refs = Object.entries(j.refs || {}).filter(([, v]) => v !== null && v !== "" && !(Array.isArray(v) && !v.length));
    return h("article", { class: "card journey", "data-journey": j.id },
      h("div", { class: "journey-head" }, h("strong", {}, j.kind === "return" ? "Return" : "Order"), h("code", {}, j.id), badge(j.status)),
      h("dl", { class: "refs" }, refs.map(([k, v]) => [h("dt", {}, k.replace(/_/g, " ")), h("dd", {}, Array.isArray(v) ? v.join(", ") : String(v))])),
      table([
        { label: "Time", cls: "nowrap", cell: (s) => when(s.at) },
        { label: "Layer", cell: (s) => s.layer || dash },
        { label: "Step", cell: (s) => h("strong", {}, s.step) },
        { label: "Backend", cell: (s) => s.backend || dash },
        { label: "Outcome", cell: (s) => badge(s.outcome) },
        { label: "Attempts", num: true, cell: (s) => num(s.attempts) },
        { label: "Latency", num: true, cell: (s) => ms(s.latency_ms) },
        { label: "Trace", cell: (s) => (s.trace_id ? h("code", { title: s.trace_id }, String(s.trace_id).slice(0, 12)) : dash) },
        { label: "Detail", cls: "wrap", cell: (s) => [s.detail || dash, s.note ? h("div", { class: "note" }, `\u201c${s.note}\u201d`) : null] },
      ], j.steps || [], "No steps recorded."));
  }

  panels.backends = {
    title: "Backends", poll: true,
    render: () => [head("Backends"), h("p", { class: "muted" },
      "Circuits, latency and errors over the last minutes. Pausing holds a backend's asynchronous work (during its maintenance); checkout calls still go through."),
    slot("backends")],
    async refresh() {
      const got = await attempt("/backends");
      if (got.error) return put("backends", failure(got.error, "Backends"));
      put("backends", table([
        { label: "Backend", cell: (b) => h("strong", {}, b.backend) },
        { label: "Circuit", cell: circuitCell },
        { label: "Calls", num: true, cell: (b) => num(b.calls) },
        { label: "Error rate", num: true, cell: (b) => h("span", { class: b.error_rate > 0.05 ? "hot" : null }, pct(b.error_rate)) },
        { label: "Throttled", num: true, cell: (b) => num(b.throttled) },
        { label: "p50 / p95", num: true, cell: (b) => `${ms(b.p50_ms)} / ${ms(b.p95_ms)}` },
        { label: "In use", num: true, cell: (b) => (typeof b.concurrency_in_use === "number" ? `${b.concurrency_in_use} / ${b.concurrency_limit ?? dash}` : dash) },
        { label: "Last error", cell: (b) => (b.last_error ? [h("code", {}, b.last_error.code || String(b.last_error)), h("span", { class: "muted" }, ` ${since(b.last_error.at)} ago`)] : dash) },
        { label: "Work", cell: (b) => [badge(b.paused ? "paused" : "running"), b.paused_since ? h("span", { class: "muted" }, ` ${since(b.paused_since)}`) : null] },
        { label: "", cls: "actions", cell: (b) => (b.paused
          ? h("button", { type: "button", class: "small primary", onclick: () => switchBackend(b.backend, "resume") }, "Resume")
          : h("button", { type: "button", class: "small", onclick: () => confirmAction(`Pause ${b.backend}?`,
            `Its asynchronous work waits (nothing is lost) until you resume it.`, "Pause", () => switchBackend(b.backend, "pause")) }, "Pause")) },
      ], got.data.items || [], "No backends reported yet.", (b) => ({ "data-backend": b.backend })));
    },
  };
  async function switchBackend(name, action) {
    try {
      await api("POST", `/backends/${encodeURIComponent(name)}/${action}`);
      toast(action === "pause" ? `${name}: asynchronous work paused.` : `${name}: resumed.`);
    } catch (e) {
      if (action === "pause") throw e;
      toast(`${name} not resumed: ${describe(e)}`, true);
    }
    await panels.backends.refresh();
  }

  panels.alerts = {
    title: "Alerts", poll: true,
    render: () => [head("Alerts"), slot("alerts"), h("h3", {}, "History"), slot("alerts-history")],
    async refresh() {
      const got = await attempt("/alerts");
      if (got.error) { put("alerts-history", ""); return put("alerts", failure(got.error, "Alerts")); }
      put("alerts", table(alertColumns, got.data.items || [], "No alert has fired recently."));
      put("alerts-history", table(alertColumns, got.data.history || [], "No history."));
    },
  };

  panels.keys = {
    title: "API keys", adminOnly: true,
    render() {
      const self = panels.keys;
      const filter = h("input", { type: "search", id: "key-filter", placeholder: "Filter by consumer, key id, plan, scope or customer", "aria-label": "Filter keys",
        oninput: () => { self.filter = filter.value.trim().toLowerCase(); self.draw(); } });
      const status = h("select", { id: "key-status", "aria-label": "Status", onchange: () => { self.status = status.value; self.draw(); } },
        ["active", "all", "revoked", "expired"].map((s) => h("option", { value: s }, s === "all" ? "All statuses" : s[0].toUpperCase() + s.slice(1))));
      self.filter = ""; self.status = "active"; self.rows = [];
      return [head("API keys", h("button", { type: "button", class: "primary", id: "new-key", onclick: createKey }, "New key")),
        h("div", { class: "toolbar" }, filter, status), h("h3", {}, "By consumer"), slot("consumers"), h("h3", {}, "Keys"), slot("keys")];
    },
    async refresh() {
      const got = await attempt("/keys");
      if (got.error) return put("keys", failure(got.error, "API keys"));
      panels.keys.rows = got.data.items || [];
      panels.keys.draw();
    },
    draw() {
      const { filter, status } = this;
      const text = (k) => [k.consumer, k.id, k.plan, k.customer || "", k.status, ...(k.scopes || [])].join(" ").toLowerCase();
      const rows = this.rows.filter((k) => (status === "all" || k.status === status) && (!filter || text(k).includes(filter)));
      put("keys", table([
        { label: "Consumer", cls: "wrap", cell: (k) => h("strong", {}, k.consumer) },
        { label: "Key id", cell: (k) => h("code", {}, k.id) },
        { label: "Scopes", cell: (k) => chips(k.scopes) },
        { label: "Plan", cell: (k) => k.plan },
        { label: "Customer", cell: (k) => k.customer || dash },
        { label: "Status", cell: (k) => badge(k.status) },
        { label: "Created", cls: "nowrap", cell: (k) => when(k.created_at) },
        { label: "Expires", cls: "nowrap", cell: (k) => (k.revoked_at ? when(k.revoked_at) : when(k.expires_at)) },
        { label: "", cls: "actions", cell: (k) => (k.status !== "active" ? "" : [
          h("button", { type: "button", class: "small", onclick: () => rotateKey(k) }, "Rotate"),
          h("button", { type: "button", class: "small danger", onclick: () => confirmAction("Revoke this key?",
            `${k.consumer} (${k.id}) stops working at once on every instance of the hub.`, "Revoke", async () => {
              await api("DELETE", `/keys/${encodeURIComponent(k.id)}`);
              toast(`Key ${k.id} revoked.`);
              await panels.keys.refresh();
            }) }, "Revoke")]) },
      ], rows, "No key matches.", (k) => ({ "data-key": k.id })));
      put("consumers", table([
        { label: "Consumer", cls: "wrap", cell: (c) => h("strong", {}, c.consumer) },
        { label: "Active keys", num: true, cell: (c) => num(c.active) },
        { label: "All keys", num: true, cell: (c) => num(c.keys) },
        { label: "Plans", cell: (c) => chips([...c.plans]) },
        { label: "Scopes", cell: (c) => chips([...c.scopes]) },
        { label: "Newest key", cls: "nowrap", cell: (c) => when(c.newest) },
      ], byConsumer(rows), "No consumer matches."));
    },
  };
  function byConsumer(keys) {
    const groups = new Map();
    for (const k of keys) {
      const g = groups.get(k.consumer) || { consumer: k.consumer, keys: 0, active: 0, plans: new Set(), scopes: new Set(), newest: null };
      g.keys += 1;
      if (k.status === "active") g.active += 1;
      g.plans.add(k.plan);
      (k.scopes || []).forEach((s) => g.scopes.add(s));
      if (!g.newest || k.created_at > g.newest) g.newest = k.created_at;
      groups.set(k.consumer, g);
    }
    return [...groups.values()].sort((a, b) => a.consumer.localeCompare(b.consumer));
  }
  async function createKey() {
    const plans = await attempt("/plans");
    const names = plans.data ? plans.data.items.map((p) => p.name) : [];
    const field = (label, input) => [h("label", { for: input.id }, label), input];
    dialog({ title: "New API key", submitLabel: "Create key", body: [
      ...field("Consumer", h("input", { type: "text", id: "new-consumer", name: "consumer", required: true, maxlength: 200, autocomplete: "off" })),
      h("label", {}, "Scopes"), h("div", { id: "new-scopes" }, SCOPES.map((s) => h("label", { class: "check" },
        h("input", { type: "checkbox", name: "scopes", value: s }), s))),
      ...field("Plan", h("select", { id: "new-plan", name: "plan" }, h("option", { value: "" }, "The hub's default"),
        names.map((n) => h("option", { value: n }, n)))),
      ...field("Customer (optional: binds the key to one customer)", h("input", { type: "text", id: "new-customer", name: "customer", maxlength: 64 })),
      ...field("Expires after (days, optional)", h("input", { type: "number", id: "new-expires", name: "expires", min: 1, max: 3650 })),
    ], submit: async (form) => {
      const data = new FormData(form);
      const body = { consumer: String(data.get("consumer")).trim(), scopes: data.getAll("scopes") };
      if (data.get("plan")) body.plan = data.get("plan");
      if (String(data.get("customer")).trim()) body.customer = String(data.get("customer")).trim();
      if (data.get("expires")) body.expires_in_seconds = Number(data.get("expires")) * 86400;
      if (!body.scopes.length) throw new ApiError(422, { detail: "Choose at least one scope." }, "/keys");
      const created = await api("POST", "/keys", body);
      await panels.keys.refresh();
      return () => showSecret(created, `A new key for ${created.consumer}.`);
    } });
  }
  function rotateKey(k) {
    const grace = h("input", { type: "number", id: "rotate-grace", name: "grace", min: 0, max: 2592000, value: 3600, required: true });
    dialog({ title: `Rotate the key of ${k.consumer}`, submitLabel: "Rotate", body: [
      h("p", {}, "A new secret is made. The current one keeps working for the grace period, so the consumer can switch without downtime."),
      h("label", { for: "rotate-grace" }, "Grace period (seconds)"), grace],
    submit: async () => {
      const created = await api("POST", `/keys/${encodeURIComponent(k.id)}/rotate`, { grace_seconds: Number(grace.value) });
      const lead = `The new secret for ${k.consumer}; the old one works for ${age(Number(grace.value))} more.`;
      await panels.keys.refresh();
      return () => showSecret(created, lead);
    } });
  }

  panels.plans = {
    title: "Plans", adminOnly: true,
    render: () => [head("Plans", h("button", { type: "button", id: "new-plan-button", onclick: () => editPlan(null) }, "New plan")),
      h("p", { class: "muted" }, "Rate limits per consumer, shared by every instance. A change is in force within a second."), slot("plans")],
    async refresh() {
      const got = await attempt("/plans");
      if (got.error) return put("plans", failure(got.error, "Plans"));
      put("plans", table([
        { label: "Plan", cell: (p) => h("strong", {}, p.name) },
        { label: "Requests per second", num: true, cell: (p) => num(p.rate_per_second) },
        { label: "Burst", num: true, cell: (p) => num(p.burst) },
        { label: "", cls: "actions", cell: (p) => h("button", { type: "button", class: "small", onclick: () => editPlan(p) }, "Edit") },
      ], got.data.items || [], "No plans.", (p) => ({ "data-plan": p.name })));
    },
  };
  function editPlan(plan) {
    const name = h("input", { type: "text", id: "plan-name", required: true, pattern: "[a-z0-9][a-z0-9_\\-]{0,63}", value: plan ? plan.name : "", readonly: Boolean(plan) });
    const rate = h("input", { type: "number", id: "plan-rate", required: true, min: 0.001, step: "any", value: plan ? plan.rate_per_second : "" });
    const burst = h("input", { type: "number", id: "plan-burst", required: true, min: 1, step: 1, value: plan ? plan.burst : "" });
    dialog({ title: plan ? `Edit plan ${plan.name}` : "New plan", submitLabel: "Save", body: [
      h("label", { for: "plan-name" }, "Name"), name, h("label", { for: "plan-rate" }, "Requests per second"), rate,
      h("label", { for: "plan-burst" }, "Burst"), burst],
    submit: async () => {
      await api("PUT", `/plans/${encodeURIComponent(name.value)}`, { rate_per_second: Number(rate.value), burst: Number(burst.value) });
      toast(`Plan ${name.value} saved.`);
      await panels.plans.refresh();
      return true;
    } });
  }

  /** What the sections in other files (deadletters.js) build with; they add themselves to `panels`. */
  window.CommerceHubConsole = Object.freeze({ h, api, attempt, put, slot, head, table, badge, chips, when, num, dash,
    toast, dialog, confirmAction, describe, failure, panels, ApiError, isAdmin: () => session.admin });

  // ---- navigation, polling, session -------------------------------------------------------------
  function route() {
    const [name, ...rest] = location.hash.replace(/^#/, "").split("/");
    const open = panels[name] && (session.admin || !panels[name].adminOnly);  // a console key: no keys, no plans
    return { name: open ? name : "overview", arg: rest.length ? decodeURIComponent(rest.join("/")) : "" };
  }
  /** Refresh the open section; asked again while a refresh runs, it runs once more after it. */
  async function refresh() {
    const panel = session.panel;
    if (!session.active || !panel) return;
    if (session.refreshing) { session.again = true; return; }
    session.refreshing = true;
    try {
      await panel.refresh(session.arg);
      if (session.active) $("updated").textContent = `Updated ${new Date().toLocaleTimeString("en-GB")}`;
    } finally {
      session.refreshing = false;
    }
    if (session.again) {
      session.again = false;
      await refresh();
    }
  }
  function show() {
    if (!session.active) return;
    const { name, arg } = route();
    if (session.panel && session.panel.leave) session.panel.leave();
    session.panel = panels[name];
    session.arg = arg;
    document.title = `${session.panel.title} \u00b7 Commerce Hub operations`;
    for (const link of document.querySelectorAll(".tabs a")) {
      if (link.dataset.panel === name) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
    }
    $("panel").replaceChildren(...session.panel.render(arg));
    refresh();
  }
  function poll() {
    clearInterval(session.timer);
    session.timer = setInterval(() => {
      if (document.visibilityState === "visible" && session.panel && session.panel.poll && !$("dialog").open) refresh();
    }, POLL_MS);
  }
  /** Sign in: the hub names the key's scopes (`admin`, or `console`: the operator's sections only). */
  async function signIn(key) {
    session.key = key;
    let me;
    try {
      me = await api("GET", "/session");
    } catch (e) {
      session.key = null;
      throw e;
    }
    sessionStorage.setItem(STORE, key);
    session.admin = Boolean(me.admin);
    for (const node of document.querySelectorAll("[data-admin-only]")) node.hidden = !session.admin;
    $("who").textContent = `${me.consumer} \u00b7 ${session.admin ? "admin" : "console"} key`;
    session.active = true;
    $("signin-view").hidden = true;
    $("app-view").hidden = false;
    $("session").hidden = false;
    show();
    poll();
  }
  function signOut(message) {
    sessionStorage.removeItem(STORE);
    Object.assign(session, { key: null, active: false, panel: null, admin: false });
    $("who").textContent = "";
    clearInterval(session.timer);
    if ($("dialog").open) $("dialog").close();
    $("panel").replaceChildren();
    $("app-view").hidden = true;
    $("session").hidden = true;
    $("signin-view").hidden = false;
    $("signin-key").value = "";
    signInError(message || null);
  }
  function signInError(message) {
    $("signin-error").textContent = message || "";
    $("signin-error").hidden = !message;
  }
  function signInMessage(e) {
    if (e.status === 401) return "This key is not valid: unknown, revoked or expired.";
    if (e.status === 403) return "This key is valid but has neither the admin nor the console scope.";
    if (e.status === 429) return "Too many attempts: wait a moment and try again.";
    return `Sign-in failed: ${describe(e)}`;
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("signin-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const key = $("signin-key").value.trim();
      if (!key) return signInError("Enter an admin or console API key.");
      $("signin-submit").disabled = true;
      signInError(null);
      try { await signIn(key); } catch (e) { signInError(signInMessage(e)); } finally { $("signin-submit").disabled = false; }
    });
    $("sign-out").addEventListener("click", () => signOut());
    $("dialog").addEventListener("close", () => {  // a shown secret leaves the page with its dialog
      $("dialog-body").replaceChildren();
      $("dialog-actions").replaceChildren();
      const next = afterClose;
      afterClose = null;
      if (next && session.active) next();
    });
    window.addEventListener("hashchange", show);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && session.panel && session.panel.poll) refresh();
    });
    const stored = sessionStorage.getItem(STORE);
    if (stored) signIn(stored).catch((e) => signOut(signInMessage(e)));
    else $("signin-key").focus();
  });
})();
