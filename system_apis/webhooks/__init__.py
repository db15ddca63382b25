"""Outbound partner webhooks: the Standard Webhooks sender and the URL guard.

    port.py     WebhookRequest / WebhookResult, the sender port, the secret format
    signing.py  Standard Webhooks headers (webhook-id, webhook-timestamp, webhook-signature v1)
    urlguard.py what a partner URL may be, and the one address a delivery connects to
    client.py   HttpWebhookSender over ``VendorHttp``: check, resolve once, connect to that address
"""
