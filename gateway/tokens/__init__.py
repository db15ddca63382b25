"""Bearer tokens: identity-provider JWTs (``idp``), hub-signed OAuth tokens (``hub_tokens``,
``oauth``) and the hub's signing keys (``signing_keys``); ``wiring.build_token_stack`` puts
them together for the composition root.

Every token failure is ``shared.errors.Unauthorized`` with one generic message; the reason
is logged at debug on ``commerce_hub.gateway.tokens``.
"""
