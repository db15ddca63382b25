"""Partner v1 webhooks (CONTRACT section 5, issue 11): subscribe, list, delete, rotate the
secret, enable again, the delivery log, replay one delivery or a time range.

Scope `webhooks:manage` and a credential bound to a customer; a subscription belongs to
that customer, and another customer's is 404."""

from __future__ import annotations

from typing import Annotated

from litestar import Response, delete, get, post
from litestar.params import Parameter

from experience_apis.cursors import decode_cursor, encode_cursor
from experience_apis.http import INJECTED, CurrentPrincipal, requires, requires_customer
from experience_apis.openapi import problems
from experience_apis.partner.v1.schemas import (
    DeliveryList, DeliveryOut, ReplayRangeIn, ReplayRangeOut, WebhookIn, WebhookList, WebhookOut)
from process_apis.notifications.port import NotificationPort
from shared.problems import strict_body

PREFIX = "/v1/partner/webhooks"
Notifications = Annotated[NotificationPort, INJECTED]
WebhookId = Annotated[str, Parameter(min_length=1, max_length=40, description="The subscription's id (`wh_...`).")]
GUARDS = [requires("webhooks:manage"), requires_customer]
NOT_FOUND = problems({404: "No such webhook, or another customer's (`unknown_webhook`)."})


def _customer(principal: CurrentPrincipal) -> str:
    return principal.customer_id  # type: ignore[return-value]  # requires_customer holds


@post(PREFIX, operation_id="createWebhook", tags=["webhooks"], status_code=201, summary="Subscribe to events",
      guards=GUARDS, before_request=strict_body(WebhookIn),
      responses=problems({422: "Invalid input (`validation_failed`), a URL the hub will not call "
                               "(`webhook_url_refused`), or too many subscriptions (`too_many_webhooks`)."}))
async def create_webhook(data: WebhookIn, principal: CurrentPrincipal, webhooks: Notifications) -> Response[WebhookOut]:
    """Scope `webhooks:manage`. The answer holds the signing `secret`, shown only here."""
    made = await webhooks.subscribe(_customer(principal), principal.consumer, data.url, list(data.events))
    return Response(WebhookOut.of(made), status_code=201, headers={"Location": f"{PREFIX}/{made.id}"})


@get(PREFIX, operation_id="listWebhooks", tags=["webhooks"], summary="The customer's subscriptions", guards=GUARDS)
async def list_webhooks(principal: CurrentPrincipal, webhooks: Notifications) -> WebhookList:
    """Scope `webhooks:manage`. Never a secret."""
    return WebhookList(items=[WebhookOut.of(s) for s in await webhooks.subscriptions(_customer(principal))])


@delete(f"{PREFIX}/{{webhook:str}}", operation_id="deleteWebhook", tags=["webhooks"], status_code=204,
        summary="Unsubscribe", guards=GUARDS, responses=NOT_FOUND)
async def delete_webhook(webhook: WebhookId, principal: CurrentPrincipal, webhooks: Notifications) -> None:
    """Scope `webhooks:manage`. Its pending deliveries are dropped with it."""
    await webhooks.unsubscribe(_customer(principal), webhook)


@post(f"{PREFIX}/{{webhook:str}}/rotate-secret", operation_id="rotateWebhookSecret", tags=["webhooks"],
      status_code=200, summary="A new signing secret, with overlap", guards=GUARDS, responses=NOT_FOUND)
async def rotate_secret(webhook: WebhookId, principal: CurrentPrincipal, webhooks: Notifications) -> WebhookOut:
    """Scope `webhooks:manage`. The new `secret` is shown only here; until
    `previous_secret_expires_at` every delivery carries two signatures, one per secret."""
    return WebhookOut.of(await webhooks.rotate_secret(_customer(principal), webhook))


@post(f"{PREFIX}/{{webhook:str}}/enable", operation_id="enableWebhook", tags=["webhooks"], status_code=200,
      summary="Enable a disabled subscription", guards=GUARDS, responses=NOT_FOUND)
async def enable_webhook(webhook: WebhookId, principal: CurrentPrincipal, webhooks: Notifications) -> WebhookOut:
    """Scope `webhooks:manage`. Its deliveries held while it was disabled go out, in order."""
    return WebhookOut.of(await webhooks.enable(_customer(principal), webhook))


@get(f"{PREFIX}/{{webhook:str}}/deliveries", operation_id="listWebhookDeliveries", tags=["webhooks"],
     summary="The delivery log, newest first", guards=GUARDS, responses=NOT_FOUND)
async def deliveries(
    webhook: WebhookId,
    principal: CurrentPrincipal,
    webhooks: Notifications,
    limit: Annotated[int, Parameter(ge=1, le=100, description="Items per page, 1 to 100.")] = 20,
    cursor: Annotated[str | None, Parameter(max_length=200, description="`next_cursor` of the previous page.")] = None,
) -> DeliveryList:
    """Scope `webhooks:manage`."""
    before = decode_cursor(cursor) if cursor else None
    page = await webhooks.deliveries(_customer(principal), webhook, limit, before)
    return DeliveryList(items=[DeliveryOut.of(d) for d in page.items], next_cursor=encode_cursor(page.next_before))


@post(f"{PREFIX}/{{webhook:str}}/deliveries/{{webhook_id:str}}/replay", operation_id="replayWebhookDelivery",
      tags=["webhooks"], status_code=202, summary="Send one delivery again (same webhook-id)", guards=GUARDS,
      responses=problems({404: "No such webhook or delivery (`unknown_webhook`, `unknown_delivery`)."}))
async def replay(webhook: WebhookId, webhook_id: Annotated[str, Parameter(min_length=1, max_length=40)],
                 principal: CurrentPrincipal, webhooks: Notifications) -> DeliveryOut:
    """Scope `webhooks:manage`."""
    return DeliveryOut.of(await webhooks.replay(_customer(principal), webhook, webhook_id))


@post(f"{PREFIX}/{{webhook:str}}/replay", operation_id="replayWebhookRange", tags=["webhooks"], status_code=202,
      summary="Send again every delivery made in a time range", guards=GUARDS,
      before_request=strict_body(ReplayRangeIn),
      responses=problems({404: "No such webhook (`unknown_webhook`).",
                          422: "Invalid input, or more than 10,000 deliveries (`replay_too_large`)."}))
async def replay_range(webhook: WebhookId, data: ReplayRangeIn, principal: CurrentPrincipal,
                       webhooks: Notifications) -> ReplayRangeOut:
    """Scope `webhooks:manage`. Deliveries made from `since` (included) to `until` (excluded) are sent
    again with their webhook ids, each order's in its order."""
    count = await webhooks.replay_range(_customer(principal), webhook, data.since, data.until)
    return ReplayRangeOut(replayed=count)


HANDLERS = [create_webhook, list_webhooks, delete_webhook, rotate_secret, enable_webhook, deliveries, replay,
            replay_range]
