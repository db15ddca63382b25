"""A complete production environment (HUB_SANDBOX=0) with private secrets, for tests that
take one setting out of it or make one wrong."""

from __future__ import annotations

from pathlib import Path

from shared.settings import SANDBOX_SECRETS

PRODUCTION_BACKENDS = {"HUB_ERP_URL": "https://e", "HUB_WMS_URL": "https://w", "HUB_POS_URL": "https://p",
                       "HUB_PAYMENTS_URL": "https://pay", "HUB_SHOPIFY_URL": "https://s.myshopify.com",
                       "HUB_SHOPIFY_ACCESS_TOKEN": "shpat_0123456789abcdef0123456789abcdef"}
PRODUCTION_SECRETS = {"HUB_INTERNAL_SECRET": "private-internal-5b0c8f9e2d",
                      **{f"HUB_{name.upper()}_WEBHOOK_SECRET": f"private-{name}-7a61c0d94e" for name in SANDBOX_SECRETS}}
PRODUCTION_DATA_KEY = {"HUB_DATA_KEY_FILE": str(Path(__file__).with_name("production_data.key"))}
PRODUCTION = {"HUB_SANDBOX": "0", **PRODUCTION_BACKENDS, **PRODUCTION_SECRETS, **PRODUCTION_DATA_KEY}
