"""The partner notifications' part of the composition: the webhook sender (built where it is
used: the process role for URL checks, every worker process for deliveries), the service the
partner API calls, and the delivery handlers."""

from __future__ import annotations

from commerce_hub.context import Context
from process_apis.notifications.delivery import DeliveryFlow
from process_apis.notifications.lanes import Policy
from process_apis.notifications.service import NotificationService
from shared.sealing import load_data_keys
from system_apis.webhooks.client import HttpWebhookSender, build_webhook_sender

_SENDERS: dict[int, HttpWebhookSender] = {}


async def webhook_sender(ctx: Context) -> HttpWebhookSender:
    """One sender per role, closed with it."""
    sender = _SENDERS.get(id(ctx))
    if sender is None:
        sender = await build_webhook_sender(ctx.stack, sandbox=ctx.settings.sandbox,
                                            timeout=ctx.settings.webhook_timeout_seconds)
        _SENDERS[id(ctx)] = sender
        ctx.stack.callback(_SENDERS.pop, id(ctx), None)
    return sender


async def notification_service(ctx: Context) -> NotificationService:
    return NotificationService(await ctx.database(), await webhook_sender(ctx), keys=load_data_keys(ctx.settings),
                               secret_overlap=ctx.settings.webhook_secret_overlap_seconds, wake=ctx.wake)


def delivery_policy(ctx: Context) -> Policy:
    s = ctx.settings
    return Policy(retry_base=s.webhook_retry_base_seconds, retry_max=s.webhook_retry_max_seconds,
                  max_attempts=s.webhook_max_attempts, disable_after=s.webhook_disable_after_seconds,
                  lease=s.webhook_timeout_seconds + 5.0)


async def delivery_handlers(ctx: Context) -> dict:
    flow = DeliveryFlow(await ctx.database(), await webhook_sender(ctx), delivery_policy(ctx),
                        keys=load_data_keys(ctx.settings), wake=ctx.wake)
    return flow.handlers()
