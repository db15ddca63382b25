"""The return settings (HUB_RETURN_*) and the policy the composition builds from them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from commerce_hub.process_role import return_policy
from shared.settings import SettingsError, load_settings


def test_defaults_are_the_contracts() -> None:
    policy = return_policy(load_settings(env={}, toml_path="/nonexistent"))
    assert (policy.window_for("storefront"), policy.review_threshold) == (30, Decimal("500.00"))
    assert [policy.disposition_for(r) for r in ("damaged", "defective", "wrong_item", "not_needed", "other")] == [
        "inspect", "inspect", "restock", "restock", "restock"]


def test_environment_overrides() -> None:
    settings = load_settings(env={
        "HUB_RETURN_WINDOW_DAYS": "14", "HUB_RETURN_WINDOW_DAYS_BY_CHANNEL": '{"partner": 60}',
        "HUB_RETURN_REVIEW_THRESHOLD": "250.00", "HUB_RETURN_DISPOSITIONS": '{"other": "scrap"}'},
        toml_path="/nonexistent")
    policy = return_policy(settings)
    assert (policy.window_for("storefront"), policy.window_for("partner")) == (14, 60)
    assert policy.review_threshold == Decimal("250.00") and policy.disposition_for("other") == "scrap"


@pytest.mark.parametrize("name, value", [
    ("HUB_RETURN_DISPOSITIONS", '{"other": "burn"}'), ("HUB_RETURN_DISPOSITIONS", '{"bored": "scrap"}'),
    ("HUB_RETURN_DISPOSITIONS", "{not json"), ("HUB_RETURN_WINDOW_DAYS", "-1"),
    ("HUB_RETURN_REVIEW_THRESHOLD", "-5"), ("HUB_RETURN_WINDOW_DAYS_BY_CHANNEL", '{"partner": -1}'),
])
def test_a_wrong_value_names_its_setting(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as wrong:
        load_settings(env={name: value}, toml_path="/nonexistent")
    assert str(wrong.value).startswith(name.split("_BY_")[0])
