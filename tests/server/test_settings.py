"""The workspace settings file: defaults, overrides, and errors that name the bad key."""

from __future__ import annotations

from decimal import Decimal

import pytest

from server.settings import SettingsError, load


def test_defaults_without_a_file():
    s = load(None)
    assert s.currency == "USD"
    assert s.metrics.health.weights["seat_utilization"] == 20
    assert "gmail.com" in s.freemail_domains
    assert s.deal_kind("hubspot", "NewBusiness") == "new"
    assert s.deal_kind("salesforce", "Existing Customer - Downgrade") == "contraction"


def test_a_full_file_is_applied(settings_file):
    s = load(settings_file("""
currency = "eur"
first_value_event = "report_shared"
qbr_min_arr = 50000
freemail_domains = ["gmail.com"]
[key_features]
reports = ["report_created", "report_shared"]
[health]
util_target = 0.9
[health.weights]
nps = 0
[signals]
inactive_days = 21
[phase]
renewal_days = 120
[deal_kinds.hubspot]
"Partner Deal" = "new"
"""))
    assert s.currency == "EUR"
    assert s.metrics.first_value_event == "report_shared"
    assert s.metrics.qbr_min_arr == Decimal(50000)
    assert s.metrics.key_features == {"reports": frozenset({"report_created", "report_shared"})}
    assert s.metrics.health.util_target == 0.9
    assert s.metrics.health.weights["nps"] == 0
    assert s.metrics.health.weights["support"] == 15
    assert s.metrics.signals.inactive_days == 21
    assert s.metrics.phase.renewal_days == 120
    assert s.freemail_domains == frozenset({"gmail.com"})
    assert s.deal_kind("hubspot", "partner deal") == "new"
    assert s.deal_kind("hubspot", "newbusiness") == "new"


@pytest.mark.parametrize("body,key", [
    ('colour = "red"', "'colour'"),
    ("[health]\nutil_targt = 0.8", "'health.util_targt'"),
    ("[health.weights]\nhappiness = 10", "'health.weights.happiness'"),
    ('[signals]\ninactive_days = "two weeks"', "'signals.inactive_days'"),
    ('currency = "euros"', "'currency'"),
    ('[key_features]\nreports = "report_created"', "'key_features.reports'"),
    ('[deal_kinds.hubspot]\nx = "gift"', "'deal_kinds.hubspot.x'"),
    ('[deal_kinds.pipedrive]\nx = "new"', "'deal_kinds.pipedrive'"),
    ("currency = ", "not valid TOML"),
])
def test_invalid_files_name_the_bad_key(settings_file, body, key):
    with pytest.raises(SettingsError) as err:
        load(settings_file(body))
    assert key in str(err.value)


def test_app_start_fails_clearly_on_a_bad_settings_file(make_app, settings_file):
    with pytest.raises(SettingsError, match="'health.weights.happiness'"):
        make_app(SETTINGS=settings_file("[health.weights]\nhappiness = 1"))


def test_missing_settings_file(make_app, tmp_path):
    with pytest.raises(SettingsError, match="file not found"):
        make_app(SETTINGS=str(tmp_path / "nope.toml"))
