/* Commerce Hub operations console: the dead letters section (issue 12).
 *
 * Filter by flow, backend, error code, status and time; replay one, or every open letter the
 * filter matches (a dry run counts them first, the operator confirms that count, and the
 * replay is capped to it); resolve one without a replay, with a note; discard one; and the
 * audit trail of these actions. Every action is the admin API's (/admin/v1/dead-letters,
 * /admin/v1/audit); the hub writes the audit entries, this page only shows them.
 */
"use strict";
(() => {
  const { h, api, attempt, put, slot, head, table, badge, when, num, dash, toast, dialog, confirmAction, describe,
    failure, panels, isAdmin } = window.CommerceHubConsole;
  const BACKENDS = ["erp", "wms", "pos", "payments", "shopify"];
  const STATUSES = [["", "Any status"], ["open", "Open"], ["replayed", "Replayed"], ["resolved", "Resolved"]];
  const self = { filter: {}, rows: [], extended: false, auditRows: [], auditExtended: false };

  /** The filter as the API takes it: the form's non-empty fields, times as RFC 3339 UTC. */
  function readFilter(form) {
    const data = new FormData(form);
    const out = {};
    for (const name of ["flow", "backend", "code", "status"]) {
      const value = String(data.get(name) || "").trim();
      if (value) out[name] = value;
    }
    for (const name of ["since", "until"]) {
      const value = String(data.get(name) || "");
      if (value) {
        const t = new Date(value);  // a datetime-local value: the operator's local time
        if (!Number.isNaN(t.getTime())) out[name] = t.toISOString();
      }
    }
    return out;
  }
  const describeFilter = (f) => {
    const parts = Object.entries(f).map(([k, v]) => `${k} ${v}`);
    return parts.length ? parts.join(", ") : "no filter: every dead letter";
  };
  const field = (label, input) => h("label", { class: "field" }, h("span", { class: "muted" }, label), input);
  const options = (values, chosen) => values.map(([value, label]) => h("option", { value, selected: value === chosen }, label));

  function filterForm() {
    const f = self.filter;
    const flow = h("select", { id: "dlq-flow", name: "flow", "aria-label": "Flow" }, options([["", "Any flow"]], f.flow || ""));
    const backend = h("select", { id: "dlq-backend", name: "backend", "aria-label": "Backend" },
      options([["", "Any backend"], ...BACKENDS.map((b) => [b, b])], f.backend || ""));
    fillChoices(flow, backend);
    const local = (iso) => {  // RFC 3339 back to the datetime-local value it came from
      if (!iso) return "";
      const t = new Date(iso);
      const pad = (n) => String(n).padStart(2, "0");
      return `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())}T${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}`;
    };
    const form = h("form", { class: "toolbar filters", id: "dlq-filter", onsubmit: (event) => {
      event.preventDefault();
      self.filter = readFilter(form);
      self.extended = false;
      refresh();
    } },
    field("Flow", flow), field("Backend", backend),
    field("Error code", h("input", { type: "text", id: "dlq-code", name: "code", value: f.code || "", maxlength: 64,
      placeholder: "e.g. backend_unavailable", pattern: "[a-z][a-z0-9_]*", spellcheck: "false" })),
    field("Status", h("select", { id: "dlq-status", name: "status" }, options(STATUSES, f.status || ""))),
    field("Dead since", h("input", { type: "datetime-local", id: "dlq-since", name: "since", step: 1, value: local(f.since) })),
    field("Dead before", h("input", { type: "datetime-local", id: "dlq-until", name: "until", step: 1, value: local(f.until) })),
    h("div", { class: "filter-actions" },
      h("button", { type: "submit", id: "dlq-apply" }, "Filter"),
      h("button", { type: "button", class: "ghost", id: "dlq-clear", onclick: () => {
        self.filter = {};
        self.extended = false;
        panels["dead-letters"].show();
      } }, "Clear"),
      h("button", { type: "button", class: "primary", id: "dlq-replay-all", onclick: () => replayMatching(readFilter(form)) },
        "Replay all matching\u2026")));
    return form;
  }
  /** The flows and backends the hub reports, as choices (the fixed list when it reports none). */
  async function fillChoices(flow, backend) {
    const [flows, backends] = await Promise.all([attempt("/flows"), attempt("/backends")]);
    for (const item of (flows.data && flows.data.items) || []) {
      flow.append(h("option", { value: item.flow, selected: item.flow === self.filter.flow }, item.flow.replace(/_/g, " ")));
    }
    const known = new Set(BACKENDS);
    for (const item of (backends.data && backends.data.items) || []) {
      if (!known.has(item.backend)) backend.append(h("option", { value: item.backend }, item.backend));
    }
  }

  panels["dead-letters"] = {
    title: "Dead letters", poll: true,
    render() {
      return [head("Dead letters"), h("p", { class: "muted" },
        "Work that ran out of retries. Replay it once the cause is fixed (it goes back to the queue), or resolve it with a note when it was handled another way."),
      filterForm(), h("p", { class: "muted", id: "dlq-summary" }), slot("dlq"), slot("dlq-more"),
      h("h3", {}, "Audit trail"), h("p", { class: "muted" }, "Who replayed, resolved or discarded what, newest first."),
      slot("dlq-audit"), slot("dlq-audit-more")];
    },
    show() {  // render again (the filter form shows self.filter), then load
      put("panel", ...this.render());
      refresh();
    },
    refresh: (_arg, cursor) => refresh(cursor),
    leave() { Object.assign(self, { filter: {}, extended: false, auditExtended: false }); },
  };

  async function refresh(cursor) {
    await Promise.all([letters(cursor), cursor ? null : audit()]);
  }
  async function letters(cursor) {
    if (!cursor && self.extended) return;  // polling leaves an operator's extra pages alone
    const query = new URLSearchParams({ limit: "50", ...self.filter });
    if (cursor) query.set("cursor", cursor);
    const asked = self.filter;  // a new filter replaces the object: an answer for an older one is dropped
    const page = await attempt(`/dead-letters?${query}`);
    if (asked !== self.filter) return;  // a poll sent before the operator filtered, answered after
    if (page.error) {
      put("dlq-more", "");
      return put("dlq", failure(page.error, "Dead letters"));
    }
    self.rows = cursor ? [...self.rows, ...page.data.items] : page.data.items;
    self.extended = Boolean(cursor);
    put("dlq-summary", `Showing ${num(self.rows.length)}${page.data.next_cursor ? "+" : ""} \u00b7 ${describeFilter(self.filter)}`);
    put("dlq", table(letterColumns, self.rows, "No dead letter matches.", (x) => ({ "data-letter": x.id, "data-status": x.status })));
    put("dlq-more", page.data.next_cursor ? h("div", { class: "more" },
      h("button", { type: "button", onclick: () => refresh(page.data.next_cursor) }, "Load more")) : "");
  }
  async function audit(cursor) {
    if (!cursor && self.auditExtended) return;
    const query = new URLSearchParams({ limit: "20" });
    if (cursor) query.set("cursor", cursor);
    const page = await attempt(`/audit?${query}`);
    if (page.error) return put("dlq-audit", failure(page.error, "Audit trail"));
    self.auditRows = cursor ? [...self.auditRows, ...page.data.items] : page.data.items;
    self.auditExtended = Boolean(cursor);
    put("dlq-audit", table(auditColumns, self.auditRows, "No action recorded yet.", (e) => ({ "data-audit": e.id, "data-action": e.action })));
    put("dlq-audit-more", page.data.next_cursor ? h("div", { class: "more" },
      h("button", { type: "button", onclick: () => audit(page.data.next_cursor) }, "Older entries")) : "");
  }
  async function reload() {
    self.extended = false;
    self.auditExtended = false;
    await refresh();
  }

  const statusCell = (x) => {
    if (x.status === "resolved") {
      return [badge("resolved"), h("div", { class: "muted" }, when(x.resolved_at), x.resolved_by ? ` by ${x.resolved_by}` : ""),
        x.note ? h("div", { class: "note" }, `\u201c${x.note}\u201d`) : null];
    }
    if (x.status === "replayed") {
      return [badge("replayed"), h("div", { class: "muted" }, when(x.replayed_at), x.replayed_by ? ` by ${x.replayed_by}` : "")];
    }
    return badge("open");
  };
  const letterColumns = [
    { label: "Dead since", cls: "nowrap", cell: (x) => when(x.dead_at) },
    { label: "Topic", cell: (x) => h("code", {}, x.topic) },
    { label: "Backend", cell: (x) => x.backend || dash },
    { label: "Key", cell: (x) => h("a", { href: `#journeys/${encodeURIComponent(x.key)}`, title: "Find its journey" }, x.key) },
    { label: "Reason", cls: "wrap", cell: (x) => [x.reason, h("details", {}, h("summary", {}, "payload"), h("pre", {}, JSON.stringify(x.payload, null, 2)))] },
    { label: "Attempts", num: true, cell: (x) => num(x.attempts) },
    { label: "Status", cls: "wrap", cell: statusCell },
    { label: "", cls: "actions", cell: (x) => [
      h("button", { type: "button", class: "small primary", disabled: x.status !== "open", onclick: () => replay(x) }, "Replay"),
      h("button", { type: "button", class: "small", disabled: x.status !== "open", onclick: () => resolve(x) }, "Resolve"),
      isAdmin() && h("button", { type: "button", class: "small danger", onclick: () => confirmAction("Discard this dead letter?",
        `Its work (${x.topic} for ${x.key}) is dropped for good, without being replayed.`, "Discard", async () => {
          await api("DELETE", `/dead-letters/${encodeURIComponent(x.id)}`);
          toast("Dead letter discarded.");
          await reload();
        }) }, "Discard")] },
  ];
  const ACTIONS = { "dead_letters.replay": "replayed", "dead_letters.replay_bulk": "replayed in bulk",
    "dead_letters.replay_dry_run": "counted (dry run)", "dead_letters.resolve": "resolved", "dead_letters.delete": "discarded" };
  function whatOf(e) {
    const d = e.details || {};
    if (d.filter !== undefined) {
      const counts = e.action === "dead_letters.replay_dry_run" ? `${num(d.matched)} matched`
        : `${num(d.replayed)} replayed of ${num(d.matched)} matched, ${num(d.skipped)} skipped`;
      return `${counts} \u00b7 ${describeFilter(d.filter || {})}${d.limit ? ` \u00b7 at most ${num(d.limit)}` : ""}`;
    }
    return [d.topic, d.key && `for ${d.key}`, d.backend && `(${d.backend})`].filter(Boolean).join(" ") || dash;
  }
  const auditColumns = [
    { label: "When", cls: "nowrap", cell: (e) => when(e.at) },
    { label: "Action", cell: (e) => h("strong", {}, ACTIONS[e.action] || e.action) },
    { label: "Who", cell: (e) => [e.actor.consumer, e.actor.key_id ? h("span", { class: "muted" }, ` ${e.actor.key_id}`) : null] },
    { label: "Dead letter", cell: (e) => (e.subject ? h("code", {}, e.subject) : dash) },
    { label: "What", cls: "wrap", cell: whatOf },
    { label: "Note", cls: "wrap", cell: (e) => e.note || dash },
  ];

  async function replay(letter) {
    try {
      const done = await api("POST", `/dead-letters/${encodeURIComponent(letter.id)}/replay`);
      const held = done.retry_at ? ` Its ${done.backend} circuit is ${done.backend_circuit}: due ${new Date(done.retry_at).toLocaleTimeString()}.` : "";
      toast(`Replayed: ${letter.topic} for ${letter.key} is back in the queue.${held}`);
    } catch (e) {
      toast(`Not replayed: ${describe(e)}`, true);
    }
    await reload();
  }

  function resolve(letter) {
    const note = h("textarea", { id: "resolve-note", name: "note", required: true, maxlength: 1000, rows: 3,
      placeholder: "e.g. entered in the ERP by hand; customer cancelled by phone" });
    dialog({ title: "Resolve without a replay", submitLabel: "Resolve", body: [
      h("p", {}, `The work (${letter.topic} for ${letter.key}) is closed and not sent again. Say why: the note is kept with it and in the audit trail.`),
      h("label", { for: "resolve-note" }, "Note"), note],
    submit: async () => {
      if (!note.value.trim()) throw new window.CommerceHubConsole.ApiError(422, { detail: "Write a note: why is it resolved?" }, "");
      await api("POST", `/dead-letters/${encodeURIComponent(letter.id)}/resolve`, { note: note.value.trim() });
      toast(`Resolved: ${letter.topic} for ${letter.key}.`);
      return () => reload();
    } });
  }

  /** Dry run first: the operator sees how many open letters match and confirms that many. */
  async function replayMatching(filter) {
    const bulk = { ...filter };
    if (bulk.status && bulk.status !== "open") {
      return toast("Only open dead letters are replayed: set the status to Open or Any.", true);
    }
    delete bulk.status;
    let counted;
    try {
      counted = await api("POST", "/dead-letters/replay", { filter: bulk, dry_run: true });
    } catch (e) {
      return toast(`Not counted: ${describe(e)}`, true);
    }
    const matched = counted.matched;
    if (!matched) {
      await audit();
      return dialog({ title: "Nothing to replay", cancelLabel: null, submitLabel: "Close",
        body: [h("p", { id: "dlq-bulk-count", "data-matched": 0 }, `No open dead letter matches (${describeFilter(bulk)}).`)],
        submit: async () => true });
    }
    dialog({ title: `Replay ${num(matched)} dead letter${matched === 1 ? "" : "s"}?`, submitLabel: `Replay ${num(matched)}`,
      body: [h("p", { id: "dlq-bulk-count", "data-matched": matched },
        `${num(matched)} open dead letter${matched === 1 ? " matches" : "s match"}: ${describeFilter(bulk)}.`),
      h("p", { class: "muted" }, "They go back to the queue, oldest first. Letters dead after this count are left alone.")],
      submit: async () => {
        const done = await api("POST", "/dead-letters/replay", { filter: bulk, limit: matched, confirm: true });
        const held = (done.circuits || []).filter((c) => c.circuit !== "closed").map((c) => `${c.backend} circuit ${c.circuit.replace("_", " ")}`);
        toast(`Replayed ${num(done.replayed)} of ${num(done.matched)}${done.skipped ? ` (${num(done.skipped)} taken meanwhile)` : ""}.`
          + (held.length ? ` Held until their circuits allow: ${held.join(", ")}.` : ""));
        return () => reload();
      } });
    await audit();
  }
})();
