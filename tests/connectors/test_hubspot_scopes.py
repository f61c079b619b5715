"""HubSpot's token info names the scopes a token lacks before a sync runs into the 403:
in `account360 check hubspot`, at the start of each run (the card and GET /api/v1/syncs),
and in the admin app's "Test connection"."""

from __future__ import annotations

from click.testing import CliRunner

from connectors.hubspot import scopes
from server.admin.checks import test_connection as admin_test_connection
from server.cli import main
from server.sync import run_sync
from tests.connectors.fake_hubspot_tokens import ALL_SCOPES
from tests.connectors.hubspot_portal import seed
from tests.connectors.test_stream_failures import MISSING_DEALS_SCOPE

NO_DEALS = [x for x in ALL_SCOPES if x not in ("crm.objects.deals.read", "sales-email-read")]


def test_the_gaps_per_stream_with_the_alternatives_hubspot_accepts():
    granted = ["crm.objects.companies.read", "crm.objects.tasks.read", "tickets"]
    assert scopes.missing(granted, ["companies", "deals", "tasks", "calls", "emails"]) == {
        "deals": ["crm.objects.deals.read"],
        "calls": ["crm.objects.contacts.read (or crm.objects.calls.read)"],
        "emails": ["crm.objects.contacts.read (or crm.objects.emails.read)",
                   "sales-email-read"],
        "owners": ["crm.objects.owners.read"]}
    assert scopes.missing(ALL_SCOPES, ["companies", "contacts", "deals", "tickets", "tasks",
                                       "calls", "meetings", "emails", "notes"]) == {}


def test_a_private_app_token_is_asked_about_through_the_private_app_endpoint(
        hubspot_fake, hubspot):
    hubspot_fake.scopes = NO_DEALS
    report = hubspot().preflight()
    assert report["source"] == "private app token info"
    assert report["granted"] == sorted(NO_DEALS)
    assert report["missing"] == {"deals": ["crm.objects.deals.read"],
                                 "emails": ["sales-email-read"]}
    call = hubspot_fake.requests("POST", r"^/oauth/v2/private-apps/get/access-token-info$")
    assert [c["body"] for c in call] == [{"tokenKey": "pat-test-token"}]


def test_an_oauth_token_is_asked_about_through_its_metadata(hubspot_fake, hubspot):
    hubspot_fake.valid_tokens.add("COjx9oq0MhIHAAEAQAAAARiO1ekBIKzV")
    hubspot_fake.scopes = ["oauth", "crm.objects.companies.read"]
    report = hubspot(access_token="COjx9oq0MhIHAAEAQAAAARiO1ekBIKzV").preflight(["companies"])
    assert report["source"] == "OAuth token info"
    assert report["missing"] == {"owners": ["crm.objects.owners.read"]}
    assert hubspot_fake.requests("GET", r"^/oauth/v1/access-tokens/COjx9oq0")


def test_a_run_names_the_missing_scope_on_the_stream_before_it_fails(store, hubspot_fake,
                                                                     hubspot):
    seed(hubspot_fake)
    hubspot_fake.scopes = NO_DEALS
    hubspot_fake.fail("POST", r"/deals/search$", 403, MISSING_DEALS_SCOPE, times=99)
    seen: list[tuple[str, list]] = []

    def progress(event, stream, counts):
        if event == "start":
            seen.append((stream, counts.get("missing_scopes")))

    report = run_sync(store, hubspot(), progress=progress)
    # known when the run started, before the deals stream ran
    assert seen[0] == ("companies", None)
    assert ("deals", ["crm.objects.deals.read"]) in seen
    assert ("emails", ["sales-email-read"]) in seen
    st = report["streams"]
    assert st["deals"]["status"] == "failed" and st["companies"]["status"] == "success"
    assert st["deals"]["missing_scopes"] == ["crm.objects.deals.read"]


def test_the_card_shows_the_token_info_gaps(store, hubspot_fake, hubspot):
    from server.services.connector_cards import _run_card
    from server.sync import list_runs

    seed(hubspot_fake)
    hubspot_fake.scopes = NO_DEALS
    run_sync(store, hubspot(), streams=["companies", "emails"])
    with store.sessions() as s:
        card = _run_card(list_runs(s, "hubspot", limit=1)[0])
    assert card["missing_scopes"] == [{"stream": "emails", "scopes": ["sales-email-read"]}]


def test_check_lists_the_scopes_and_fails_naming_the_missing_ones(app, hubspot_fake):
    env = {"ACCOUNT360_DATABASE_URL": str(app.extensions["account360"].store.engine.url),
           "HUBSPOT_ACCESS_TOKEN": "pat-test-token", "HUBSPOT_BASE_URL": hubspot_fake.url}
    result = CliRunner().invoke(main, ["check", "hubspot"], env=env)
    assert result.exit_code == 0, result.output
    assert "hubspot: ok" in result.output
    assert "hubspot: every stream's scopes are granted" in result.output
    hubspot_fake.scopes = NO_DEALS
    result = CliRunner().invoke(main, ["check", "hubspot"], env=env)
    assert result.exit_code == 1
    assert "hubspot: missing for deals: crm.objects.deals.read" in result.output
    assert "hubspot: missing for emails: sales-email-read" in result.output
    assert "crm.objects.companies.read" in result.output  # the granted ones are listed
    assert "pat-test-token" not in result.output


def test_the_admin_test_connection_names_the_missing_scopes(app, hubspot_fake):
    from server.admin import admin_state

    adm = admin_state(app)
    data = {"access_token": "pat-test-token", "base_url": hubspot_fake.url}
    assert admin_test_connection(adm.cfg, adm.credentials, "hubspot", data) == (
        True, "Connected: the vendor accepted the credentials.")
    hubspot_fake.scopes = NO_DEALS
    ok, message = admin_test_connection(adm.cfg, adm.credentials, "hubspot", data)
    assert ok and message == (
        "Connected, but the token lacks scopes some data needs, so those streams will fail "
        "until the app is granted them: deals: crm.objects.deals.read; emails: "
        "sales-email-read.")
