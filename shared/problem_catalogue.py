"""Every problem `code` the hub can answer with, explained once.

The developer portal renders one page per entry at ``/docs/problems/<code>``, the URL
each problem's ``type`` names (``shared.problems.PROBLEM_TYPE_BASE``).
``tests/portal/test_catalogue.py`` scans the source for every code raised anywhere
and fails when one has no entry here: a new code needs its entry in the same change.
"""

from __future__ import annotations

import msgspec


class ProblemCode(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    title: str
    statuses: tuple[int, ...]
    """The HTTP status(es) it comes with (a few codes are a 404 on a read and a 422 in an order)."""
    meaning: str
    action: str
    """What the caller should do about it."""
    retry: bool = False
    """True when the same request may succeed later unchanged."""


def _p(code: str, statuses: int | tuple[int, ...], title: str, meaning: str, action: str,
       retry: bool = False) -> ProblemCode:
    statuses = statuses if isinstance(statuses, tuple) else (statuses,)
    return ProblemCode(code=code, title=title, statuses=statuses, meaning=meaning, action=action, retry=retry)


_FIX = "Fix the request and send it again; the same request will fail the same way."
_SUPPORT = "Quote the `trace_id` to support if it persists."

CATALOGUE: dict[str, ProblemCode] = {p.code: p for p in (
    # -- the request itself ---------------------------------------------------------------------
    _p("bad_request", 400, "Bad request", "The request is malformed in a way no field error describes "
       "(e.g. a body where none is expected, or a wrong content type).", _FIX),
    _p("malformed_json", 400, "Malformed JSON", "The body is not valid JSON.",
       "Send a JSON object with `Content-Type: application/json`."),
    _p("validation_failed", 422, "Request validation failed", "A field is missing, of the wrong type or out "
       "of range. `errors` lists each one as `{field, message}`.", "Correct the listed fields. " + _FIX),
    _p("payload_too_large", 413, "Payload too large", "The body is over the hub's limit (1 MiB).",
       "Send a smaller body: split a large basket or order."),
    _p("body_incomplete", 400, "Body incomplete", "The request body ended before its declared length, or its "
       "chunked framing broke; the connection is closed after this answer.", "Send the whole body again."),
    _p("bad_framing", 400, "Bad framing", "The request could not be parsed as HTTP/1.1: it carried both "
       "`Content-Length` and `Transfer-Encoding` (RFC 9112 section 6.3), or a malformed request line or header; "
       "the connection is closed after this answer.", "Send one framing header only, and well-formed fields."),
    _p("length_required", 411, "Content-Length required", "The body came chunked (`Transfer-Encoding`); the hub "
       "accepts bodies with a `Content-Length` only and closes the connection.",
       "Send the body with `Content-Length` (every HTTP client does for a body it holds)."),
    _p("request_header_fields_too_large", 431, "Request header fields too large", "The request line and headers "
       "together exceed 64 KiB; the connection is closed after this answer.",
       "Send fewer or shorter headers (a cookie jar or a token grown too large, usually)."),
    _p("request_timeout", 408, "Request timeout", "The body did not arrive within the hub's body timeout "
       "(`HUB_HTTP_BODY_TIMEOUT_SECONDS`); the connection is closed.", "Send the body at a normal pace.",
       retry=True),
    _p("malformed_event", 400, "Malformed event", "An inbound back-office webhook (`/hooks/...`) is not an "
       "event the hub understands, or lacks its id header.", "Check the sender's payload and headers."),
    _p("too_many_events", 413, "Too many events", "A batched WMS or POS delivery (`{\"events\": [...]}`) "
       "carries more events than one delivery may (500); nothing of it is stored.",
       "Split the delivery into several of at most 500 events each."),
    _p("not_found", 404, "Not found", "No such resource or route, or one that belongs to another customer "
       "(the hub does not tell them apart).", "Check the path and the id; list resources to find the id."),
    _p("method_not_allowed", 405, "Method not allowed", "This path does not take this HTTP method (e.g. a GET "
       "on `/oauth/token`, which takes only POST).", "Use the method the reference lists for the path."),
    _p("conflict", 409, "Conflict", "The resource is in a state that does not allow this change.",
       "Read the resource again and decide from its current state."),
    _p("business_rule_violation", 422, "The request breaks a business rule",
       "A business rule refused the request; `detail` says which.", _FIX),
    # -- credentials and scopes ----------------------------------------------------------------------
    _p("unauthorized", 401, "Authentication required", "No credential, or one that is unknown, revoked, "
       "expired or badly signed. The answer carries `WWW-Authenticate`.",
       "Send `X-API-Key: <key>` or `Authorization: Bearer <token>`; see the auth guide (`/docs/auth`)."),
    _p("forbidden", 403, "Forbidden", "The credential is valid but may not do this.",
       "Ask an operator for a key with the right scopes."),
    _p("insufficient_scope", 403, "Insufficient scope", "The credential lacks the scope this operation needs "
       "(`detail` names it, e.g. `orders:write`).", "Use a key made with that scope (`hub keys create --scope`)."),
    _p("customer_forbidden", 403, "Customer forbidden", "The credential may not act for the customer named in "
       "the request: it is bound to another one and lacks `customers:any`.",
       "Omit `customer_id` (the bound customer is used) or use a key with `customers:any`."),
    _p("customer_required", 403, "Customer required", "This API (mobile, partner) acts for one customer, and "
       "the credential is not bound to one.", "Use a key made with `--customer`, or a JWT with a customer claim."),
    _p("rate_limited", 429, "Rate limit exceeded", "The key's plan allows no more requests right now. "
       "`Retry-After` says how many seconds to wait; `RateLimit` and `RateLimit-Policy` show the budget.",
       "Wait `Retry-After` seconds, then retry; spread requests out or ask for a bigger plan.", retry=True),
    # -- idempotency ------------------------------------------------------------------------------
    _p("idempotency_key_missing", 400, "Idempotency-Key missing", "Placing an order or a return needs an "
       "`Idempotency-Key` header of 1 to 255 characters.",
       "Send a fresh unique key per order (e.g. a UUID) and reuse it only to retry that same order."),
    _p("idempotency_key_reused", 422, "Idempotency-Key reused", "This `Idempotency-Key` was already used "
       "with a different request body.", "Use a new key for a new request; retry only with the same body."),
    _p("idempotency_key_in_flight", 409, "Idempotency-Key in flight", "A request with this key is still "
       "being processed.", "Retry after `Retry-After` (1 s): you then get the first request's answer.", retry=True),
    # -- catalogue, customers and orders ---------------------------------------------------------------
    _p("unknown_sku", (404, 422), "Unknown SKU", "The back office has no item with this SKU (404 on a "
       "product read; 422 on an order line, with `errors` naming the line).", "Check the SKU."),
    _p("not_orderable", 422, "Not orderable", "The item exists but can no longer be ordered "
       "(discontinued).", "Remove the line from the order."),
    _p("unsupported_currency", 422, "Unsupported currency", "The item is not priced in the requested currency.",
       "Ask in the item's currency (`USD` for the sandbox)."),
    _p("unknown_customer", (404, 422), "Unknown customer", "The ERP has no customer with this id.",
       "Check `customer_id`; omit it to price as a guest."),
    _p("price_mismatch", 422, "Price mismatch", "An order line's `unit_price` is not the customer's current "
       "price (the buyer saw a stale price).", "Read the price again and show it to the buyer before ordering."),
    _p("insufficient_stock", 422, "Insufficient stock", "Not enough stock for some lines; `errors` lists them.",
       "Lower the quantities or drop those lines."),
    _p("credit_hold", 422, "Credit hold", "The customer is on credit hold in the ERP.",
       "The customer must settle with accounts receivable; pay by card meanwhile."),
    _p("credit_limit_exceeded", 422, "Credit limit exceeded", "The order would take the customer over "
       "their credit limit.", "Order less, or pay by card."),
    _p("payment_required", 422, "Payment required", "A guest order (no customer) must carry a card payment.",
       'Add `"payment": {"method": "card", "authorization_id": ..., "amount": ...}`.'),
    _p("payment_mismatch", 422, "Payment mismatch", "The payment amount is not the order total.",
       "Authorize the exact total and send that amount."),
    _p("duplicate_po", 409, "Duplicate PO number", "This customer already has an order with this `po_number`.",
       "Use a new PO number, or read the existing order."),
    _p("duplicate_order", 409, "Duplicate order", "This channel order reference was already captured.",
       "Read the existing order instead of placing it again."),
    _p("unknown_order", 404, "Unknown order", "No order with this id (or not yours).", "Check the order id."),
    # -- returns ---------------------------------------------------------------------------------------
    _p("unknown_return", 404, "Unknown return", "No return with this RMA id (or not yours).", "Check the RMA id."),
    _p("not_shipped", 422, "Not shipped", "Nothing of the order has shipped yet, so nothing can be returned.",
       "Cancel or wait for the shipment."),
    _p("quantity_exceeds_returnable", 422, "Quantity exceeds returnable", "A line returns more than shipped "
       "and not already coming back; `errors` names the lines.", "Return at most what is left to return."),
    _p("quantity_exceeds_inspectable", 422, "Quantity exceeds inspectable", "An inspection result covers "
       "more items than wait for inspection.", "Inspect at most the quantity waiting."),
    _p("nothing_to_inspect", 409, "Nothing to inspect", "No item of this SKU waits for inspection on this return.",
       "Read the return to see which lines wait for inspection."),
    _p("return_busy", 409, "Return busy", "The return is being changed by another request right now.",
       "Retry after `Retry-After` (1 s).", retry=True),
    _p("return_not_pending_review", 409, "Return not pending review", "Only a return in `pending_review` can be "
       "approved or rejected.", "Read the return's status first."),
    # -- operations ----------------------------------------------------------------------------------
    _p("already_replayed", 409, "Already replayed", "This dead letter was already replayed.",
       "Nothing to do; list the dead letters to see what is left."),
    _p("already_resolved", 409, "Already resolved", "This dead letter was resolved without a replay (see its "
       "`note`).", "Nothing to do; list the open dead letters (`status=open`) to see what is left."),
    _p("reconciliation_running", 409, "Reconciliation running", "A reconciliation run (scheduled or started by "
       "an operator) is running; one runs at a time.", "Wait for it: list the runs (`GET /admin/v1/reconciliations`)."),
    _p("no_erp_migration", 409, "No ERP migration configured", "The hub has one ERP connection, so there is no "
       "primary to switch to.", "Declare a second ERP connection with `erp_role = \"secondary\"` in hub.toml "
       "(docs/connections.md, \"Moving to another ERP\") and restart."),
    _p("unknown_reconciliation", 404, "Unknown reconciliation run", "No reconciliation run with this id (old runs "
       "are deleted after `HUB_RECONCILE_RETENTION_SECONDS`).", "List the runs to find the id."),
    _p("no_handler", 500, "No handler", "A queued message names a topic no worker handles (it is dead-lettered).",
       "Operators: deploy a worker that knows the topic, then replay. " + _SUPPORT),
    _p("internal_error", 500, "Internal error", "Something unexpected failed inside the hub; nothing about it "
       "is shown.", "Retry later. " + _SUPPORT, retry=True),
    _p("store_unavailable", 503, "The hub's store is unavailable", "The hub's own database or Redis could not be "
       "reached (restarting, failing over, or every connection busy); the request did not complete.",
       "Retry after `Retry-After` seconds with the same `Idempotency-Key`: a write is done once.", retry=True),
    _p("starting", 503, "The hub is starting", "This instance is not ready yet.", "Retry in a second.", retry=True),
    # -- back-office systems -------------------------------------------------------------------------
    _p("backend_error", 502, "A back-office system failed", "A backend (ERP, WMS, POS, payments, a channel platform) "
       "refused the call permanently.", "Do not retry unchanged. " + _SUPPORT),
    _p("backend_unavailable", 503, "A back-office system is unavailable", "A backend is down, timing out or "
       "failing. Reads may still be served from the cache (`X-Cache: STALE`).",
       "Retry with backoff; honour `Retry-After` when present.", retry=True),
    _p("erp_replica_stale", 503, "The hub's copy of the ERP is too old", "The order would be validated on "
       "ERP data (item, customer or contract prices) the hub last heard from the ERP longer ago than "
       "`HUB_ERP_REPLICA_MAX_AGE_SECONDS`, and the ERP cannot be asked now. Price answers are still served, "
       "their `as_of` showing the age.", "Retry after `Retry-After` seconds, once the ERP is back.", retry=True),
    _p("backend_throttled", 503, "A back-office system is throttling the hub", "A backend asked the hub to slow "
       "down.", "Retry after `Retry-After` seconds.", retry=True),
    _p("circuit_open", 503, "A back-office system is failing; calls are paused", "The hub stopped calling a "
       "failing backend for a short while, to let it recover.", "Retry after `Retry-After` seconds.", retry=True),
    _p("saga_step_failed", 502, "Refund step failed", "A step of a return's refund (credit memo, expected receipt, "
       "refund) kept failing; what was done is undone and the return says `refund.status: failed`.",
       "Operators: see the dead-letter queue, fix the backend, replay."),
    _p("no_payment_authorization", 502, "No payment authorization", "The order was paid by card but has no "
       "authorization to refund against.", "Operators: refund by hand. " + _SUPPORT),
    _p("no_channel_refund", 502, "No channel refund", "The sales channel of the order cannot refund it.",
       "Operators: refund by hand. " + _SUPPORT),
    _p("channel_refund_failed", 502, "Channel refund failed", "The channel platform refused or failed the refund "
       "transaction.", "Operators: check the order on the channel platform, then replay the dead letter."),
    _p("backend_credential_refused", 502, "Backend credential refused", "The backend's token service refused "
       "the connection's long-lived credential (a revoked or wrong refresh token, client id or client secret: "
       "OAuth `invalid_grant` or `invalid_client`), so no access token can be had.",
       "Operators: renew the connection's credential (its `credential_env` or `credential_file`) and restart."),
    _p("channel_refund_pending", 503, "Channel refund pending", "The channel platform took the refund but has "
       "not settled it yet (a marketplace processes it later); the refund saga asks again with backoff until it "
       "succeeds or fails.", "Nothing: the return is marked refunded, or its refund failed, when the channel settles.",
       retry=True),
    _p("channel_order_cancelled", 502, "Channel order cancelled", "The order was cancelled on the channel "
       "platform (a marketplace buyer or the marketplace cancelled it), so a shipment can no longer be confirmed "
       "there.", "Operators: stop the shipment if it has not left; else settle it with the marketplace."),
    _p("inspection_by_3pl", 502, "The 3PL inspects returns itself", "A return received by a third-party "
       "logistics provider is inspected by the 3PL; the hub cannot record an inspection there.",
       "Operators: read the 3PL's own grading of the return, then resolve the dead letter with a note."),
    _p("receipt_cancelled", 502, "Receipt cancelled", "The WMS expected receipt of the return was cancelled "
       "and cannot be revived.", "Operators: create the return again. " + _SUPPORT),
    _p("refund_exceeds_paid", 502, "Refund exceeds what was paid", "This refund, with the order's other "
       "refunds issued or under way, would give back more units or money than the order was paid for; the "
       "saga refused it and undid its earlier steps.", "Operators: check the order's returns before replaying."),
    _p("backend_paused", 503, "A back-office system is paused for maintenance", "An operator paused this "
       "backend's asynchronous work (`POST /admin/v1/backends/{name}/pause`); the work waits, spending no "
       "retry budget.", "Resume the backend (`POST /admin/v1/backends/{name}/resume`).", retry=True),
    # -- partner webhooks ------------------------------------------------------------------------------
    _p("unknown_webhook", 404, "Unknown webhook subscription", "No such subscription, or one of another "
       "customer.", "List your subscriptions (`GET /v1/partner/webhooks`) to find the id."),
    _p("unknown_delivery", 404, "Unknown webhook delivery", "The subscription has no delivery with this "
       "`webhook-id`.", "List its deliveries (`GET /v1/partner/webhooks/{id}/deliveries`)."),
    _p("too_many_webhooks", 422, "Too many webhook subscriptions", "The customer has as many subscriptions as "
       "the hub allows.", "Delete one you no longer use, or subscribe one URL to several events."),
    _p("replay_too_large", 422, "Replay too large", "The time range would send more deliveries again than one "
       "replay may.", "Replay a shorter range."),
    _p("webhook_url_refused", 422, "Webhook URL refused", "The URL is not https (in production) or resolves to "
       "a private, loopback, link-local or metadata address.", "Use a public https URL (see `/docs/webhooks`)."),
    _p("data_key_mismatch", 500, "The hub cannot read a stored secret", "The subscription's signing secret is "
       "stored encrypted, and this hub instance does not hold the data key that encrypted it (an operator "
       "started it with a wrong or lost `HUB_DATA_KEY_FILE`). Nothing was sent or changed.",
       "Retry later. Operators: start the hub with the key that sealed the secrets (docs/security.md, "
       "\"Data key\"). " + _SUPPORT, retry=True),
    # -- EDI (issue 13) ----------------------------------------------------------------------------------
    _p("edi_unreadable", 400, "Not an X12 interchange", "The body does not start with a readable ISA segment, "
       "so no separators or sender can be read (and no 997 can be addressed).",
       "Send one whole X12 interchange, ISA to IEA, as the body (see `/docs/edi`)."),
    _p("edi_unknown_partner", 403, "Unknown trading partner", "The ISA sender (ISA05/ISA06) is not a trading "
       "partner set up for this credential's customer.", "Use the ISA id the hub's operator set up for you."),
    _p("edi_control_number_reused", 409, "Interchange control number reused", "An interchange from this partner "
       "with the same ISA13 but other content was taken before (X12 TA1 note 025, duplicate interchange control "
       "number); nothing of this one was taken. A resend of the same interchange is answered as before.",
       "Send the new interchange under a new ISA13."),
    _p("edi_rejected", 422, "Interchange rejected", "The interchange was rejected as a whole: `segment` and "
       "`detail` name what is wrong; `acknowledgement` is the 997 (or TA1) the hub sent back. Nothing in it "
       "was captured.", "Fix the interchange and send it again (a rejected interchange does not hold its ISA13)."),
    _p("unsupported_media_type", 415, "Unsupported media type", "The body's `Content-Type` is not one this "
       "endpoint reads.", "Send X12 as `application/edi-x12`."),
    _p("unknown_authorization", 404, "Unknown payment authorization", "The payment provider has no such "
       "authorization.", "Check `payment.authorization_id`."),
    _p("unknown_credit_memo", 404, "Unknown credit memo", "The ERP has no such credit memo.", _SUPPORT),
    _p("unknown_shopify_order", 404, "Unknown Shopify order", "Shopify has no such order.", _SUPPORT),
    _p("unknown_channel_order", 404, "Unknown channel order", "The channel platform has no such order.", _SUPPORT),
)}


def problem_code(code: str) -> ProblemCode | None:
    return CATALOGUE.get(code)
