"""Zendesk ticket comments as `message` records (on with ZENDESK_COMMENTS=true).

The stream walks the same incremental ticket export as `tickets` (its own cursor), and for
every ticket of a mapped account reads ``GET /api/v2/tickets/{id}/comments.json`` with the
``users`` side-load (following ``next_page``). Each public comment becomes a message:
channel ``ticket``, thread ``zendesk:<ticket id>``, direction ``in`` when its author is an
end user (the requester's side), ``out`` for agents and admins; the customer's address is the
author's email for ``in`` and the requester's for ``out``; the text is ``plain_body`` (else
``body``). Private comments (internal notes) are not read as customer messages.
"""

from __future__ import annotations

from collections.abc import Iterator

from connectors.base import Page
from connectors.zendesk.tickets import TicketsStream, iso, parse_time

COMMENTS_PATH = "/api/v2/tickets/{id}/comments.json"


def comment_messages(comments: list, users: dict, account_id: str, zid, requester: str | None
                     ) -> list[dict]:
    """The message records of one ticket's comments."""
    out = []
    for c in comments:
        if not isinstance(c, dict) or c.get("id") is None or c.get("public") is False:
            continue
        text = c.get("plain_body") or c.get("body")
        at = parse_time(c.get("created_at"))
        if not isinstance(text, str) or not text.strip() or at is None:
            continue
        author = users.get(c.get("author_id")) or {}
        inbound = author.get("role") == "end-user"
        rec = {"type": "message", "id": f"zendesk-comment:{c['id']}", "account_id": account_id,
               "at": iso(at), "channel": "ticket", "direction": "in" if inbound else "out",
               "thread_id": f"zendesk:{zid}", "text": text[:10_000]}
        who = author.get("email") if inbound else requester
        if isinstance(who, str) and "@" in who:
            rec["contact_email"] = who
        if not inbound and isinstance(author.get("email"), str):
            rec["author"] = author["email"]
        out.append(rec)
    return out


class CommentsStream(TicketsStream):
    """Public comments of the tickets changed since the cursor. State: as `tickets`."""

    name = "ticket_comments"

    def pages(self, state: dict | None) -> Iterator[Page]:
        if not self.settings.comments:
            return
        yield from super().pages(state)

    def _comments(self, zid) -> tuple[list, dict]:
        comments, users = [], {}
        link, params = COMMENTS_PATH.format(id=zid), {"include": "users"}
        while link:
            data = self.http.get_json(link, params=params)
            if not isinstance(data, dict):
                break
            comments += data.get("comments") or []
            users.update({u.get("id"): u for u in data.get("users") or ()
                          if isinstance(u, dict)})
            link, params = data.get("next_page"), None
        return comments, users

    def page(self, data: dict, state: dict | None) -> Page:
        page = super().page(data, state)
        requesters = {t.get("id"): t.get("requester_id") for t in data.get("tickets") or ()
                      if isinstance(t, dict)}
        emails = {u.get("id"): u.get("email") for u in data.get("users") or ()
                  if isinstance(u, dict)}
        messages = []
        for rec in page.records:
            if rec.get("type") != "ticket":
                continue
            zid = rec["zendesk_id"]
            comments, users = self._comments(zid)
            requester = emails.get(requesters.get(zid)) or (
                users.get(requesters.get(zid)) or {}).get("email")
            messages += comment_messages(comments, users, rec["account_id"], zid, requester)
        page.records, page.deletions = messages, []
        return page
