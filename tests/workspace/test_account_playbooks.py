"""The account page shows the account's recent playbook firings as text."""

from __future__ import annotations

from datetime import timedelta

from server.playbooks.service import run
from server.playbooks.spec import parse
from server.rows.refresh import today
from tests.server.playbooks_helpers import env

XSS = "<img src=x onerror=alert(1)>"


def test_the_account_page_shows_the_playbook_nudge_escaped(app, load, make_user, browser):
    start = (today() - timedelta(days=200)).isoformat()
    load([{"type": "account", "id": "A", "name": "Quiet Co", "owner": "csm@example.com",
           "onboarding_start": start}])
    pf = parse(f'''
[[playbook]]
name = "Never touched {XSS}"
when = {{ signal = "no_touch" }}
[[playbook.action]]
task = {{ subject = "Reach out to {{account.name}}" }}
''')
    run(env(app.extensions["account360"].store), pf, today())
    make_user("csm@example.com", "csm")
    b = browser()
    b.login("csm@example.com")
    html = b.get("/app/accounts/A").get_data(as_text=True)
    assert ('<ul class="nudges" data-testid="playbook-nudges" aria-label="Playbooks"><li>'
            "Playbook: Never touched &lt;img src=x onerror=alert(1)&gt;, task created today"
            "</li></ul>") in html
    assert XSS not in html
