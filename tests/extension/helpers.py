"""Small helpers shared by the browser tests."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

GMAIL = "https://mail.google.com/mail/u/0/"
SALESFORCE = "https://acme-corp.lightning.force.com"
HUBSPOT = "https://app.hubspot.com/contacts/4455667"
TIMEOUT = 10_000


def gmail_thread(thread_id: str) -> str:
    return f"{GMAIL}#inbox/{thread_id}"


def widget(page: Page):
    return page.get_by_test_id("a360-widget")


def chip(page: Page):
    return page.get_by_test_id("a360-chip")


def expect_chip(page: Page, name: str, timeout: int = TIMEOUT) -> None:
    """The host page's chip shows the account called `name` (full name in its tooltip)."""
    expect(chip(page)).to_have_attribute("data-state", "account", timeout=timeout)
    expect(chip(page)).to_have_attribute("title", re.compile("^" + re.escape(name) + ": health "),
                                         timeout=timeout)


def boxes_intersect(a: dict, b: dict) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def expect_account(page: Page, name: str, timeout: int = TIMEOUT) -> None:
    """The widget shows the 360 of the account called `name`."""
    expect(widget(page)).to_have_attribute("data-state", "account", timeout=timeout)
    expect(page.get_by_test_id("a360-name")).to_have_text(name, timeout=timeout)


def shot(page: Page, artifact_dir: Path, name: str) -> Path:
    path = artifact_dir / f"{name}.png"
    page.screenshot(path=str(path))
    return path
