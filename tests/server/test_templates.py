"""Email templates filled with an account's figures; unknown variables refused at save (API
and admin app, with a preview on a real account); "Log as touchpoint" records an email
touchpoint and a done task queued for CRM write-back."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from server import models as m

BODY = ("Hi {{ contact_first_name }}, {{ account_name }} renews on {{ renewal_date }} "
        "({{ days_to_renewal }} days). {{active_users}} active users ({{ active_users_trend }}), "
        "{{ open_tickets }} open tickets. {{ csm_name }}")


@pytest.fixture
def acme(load):
    renew = (date.today() + timedelta(days=40)).isoformat()
    load([{"type": "account", "id": "acme", "name": "Acme Corp", "domains": ["acme.com"],
           "owner": "jane.doe@ourco.com", "renewal_date": renew,
           "crm": [{"system": "hubspot", "id": "77"}]},
          {"type": "contact", "id": "c-ann", "account_id": "acme", "email": "ann@acme.com",
           "name": "Ann Lee"}])
    return renew


def call(client, auth, method, url, body=None):
    r = client.open(url, method=method, json=body, headers=auth)
    return r.status_code, r.get_json()


def test_template_filled_with_the_accounts_figures(client, auth, acme):
    code, t = call(client, auth, "POST", "/api/v1/templates",
                   {"name": "Renewal check-in", "subject": "{{ account_name }} renewal",
                    "body": BODY})
    assert code == 201, t
    assert set(t["variables"]) >= {"contact_first_name", "renewal_date", "csm_name"}
    code, out = call(client, auth, "GET",
                     f"/api/v1/templates/{t['id']}/render?account_id=acme&email=Ann@acme.com")
    assert code == 200, out
    d = date.fromisoformat(acme)
    assert out["subject"] == "Acme Corp renewal"
    assert out["body"] == (f"Hi Ann, Acme Corp renews on {d.strftime('%b')} {d.day}, {d.year} "
                           "(40 days). n/a active users (n/a), 0 open tickets. Jane")
    # Without a known contact the greeting still reads.
    _, out = call(client, auth, "GET", f"/api/v1/templates/{t['id']}/render?account_id=acme")
    assert out["body"].startswith("Hi there, ")
    _, listed = call(client, auth, "GET", "/api/v1/templates")
    assert [i["name"] for i in listed["items"]] == ["Renewal check-in"]
    assert "open_tickets" in listed["variables"]


@pytest.mark.parametrize("body,field", [
    ({"name": "x", "body": "Hi {{ first_name }}"}, "body"),
    ({"name": "x", "subject": "{{ nope }}", "body": "ok"}, "subject"),
    ({"name": "x", "body": "Hi {{ account_name }"}, "body"),
    ({"name": "", "body": "ok"}, "name"),
    ({"name": "x", "body": "ok", "extra": 1}, "extra"),
])
def test_bad_templates_are_refused(client, auth, acme, body, field):
    code, err = call(client, auth, "POST", "/api/v1/templates", body)
    assert code == 400, err
    assert field in err["error"]["details"]
    assert call(client, auth, "GET", "/api/v1/templates")[1]["items"] == []


def test_unknown_variable_message_names_it(client, auth, acme):
    _, err = call(client, auth, "POST", "/api/v1/templates",
                  {"name": "x", "body": "Hi {{ first_name }}"})
    assert "{{ first_name }}" in err["error"]["details"]["body"]


def test_update_delete_and_errors(client, auth, acme):
    _, t = call(client, auth, "POST", "/api/v1/templates", {"name": "a", "body": "one"})
    call(client, auth, "POST", "/api/v1/templates", {"name": "b", "body": "two"})
    code, up = call(client, auth, "PUT", f"/api/v1/templates/{t['id']}",
                    {"name": "a", "body": "{{ arr }}"})
    assert code == 200 and up["body"] == "{{ arr }}"
    code, _ = call(client, auth, "PUT", f"/api/v1/templates/{t['id']}", {"name": "b", "body": "x"})
    assert code == 409
    assert call(client, auth, "GET", "/api/v1/templates/999/render?account_id=acme")[0] == 404
    assert call(client, auth, "GET", f"/api/v1/templates/{t['id']}/render")[0] == 400
    assert call(client, auth, "GET",
                f"/api/v1/templates/{t['id']}/render?account_id=nope")[0] == 404
    assert call(client, auth, "DELETE", f"/api/v1/templates/{t['id']}")[0] == 200
    assert call(client, auth, "DELETE", f"/api/v1/templates/{t['id']}")[0] == 404


def test_log_email_touchpoint_records_it_and_queues_a_crm_task(app, client, auth, acme):
    from server.services.writeback import pending_tasks

    code, tp = call(client, auth, "POST", "/api/v1/accounts/acme/touchpoints",
                    {"kind": "email", "subject": "Re: Exports failing", "email": "ann@acme.com"})
    assert code == 201, tp
    store = app.extensions["account360"].store
    with store.sessions() as s:
        row = s.get(m.Touchpoint, tp["id"])
        assert (row.kind, row.account_id, row.attributes["subject"]) == (
            "email", "acme", "Re: Exports failing")
        task = s.get(m.Task, tp["task_id"])
        assert (task.subject, task.status) == ("Email: Re: Exports failing", "done")
    assert (tp["task_id"], "77") in pending_tasks(store, "hubspot")
    body = call(client, auth, "GET", "/api/v1/accounts/acme/360")[1]
    assert body["relationship"]["touchpoints_90d"] == 1
    assert call(client, auth, "POST", "/api/v1/accounts/acme/touchpoints",
                {"kind": "call"})[0] == 400
    assert call(client, auth, "POST", "/api/v1/accounts/nope/touchpoints",
                {"kind": "email"})[0] == 404


def test_admin_app_refuses_unknown_variables_and_previews(app, client, auth, acme):
    from server.services.users import create_user
    from tests.admin.conftest import PASSWORD, Browser

    create_user(app.extensions["account360"].store, "csm@ourco.com", "csm", password=PASSWORD)
    b = Browser(app.test_client())
    assert b.login("csm@ourco.com").status_code == 302
    r = b.post("/admin/templates", {"name": "Bad", "body": "Hi {{ firstname }}",
                                    "account": "acme"})
    assert r.status_code == 400
    assert "unknown variable {{ firstname }}" in r.get_data(as_text=True)
    assert call(client, auth, "GET", "/api/v1/templates")[1]["items"] == []
    r = b.post("/admin/templates", {"name": "Good", "subject": "", "body": BODY,
                                    "account": "acme"})
    assert r.status_code == 302
    html = b.get(r.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="template-preview"' in html and "Acme Corp renews on" in html
