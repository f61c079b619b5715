"""Widget preview page: the browser extension's widget, rendered by the server.

``GET /preview?id=<account id>`` (or ``?email=`` / ``?domain=``) renders the same
widget code the extension injects into Gmail, Salesforce and HubSpot, so the
360 can be shown without those sites. The page holds no data: its script reads
the API token from the URL fragment (``#token=...``, never sent to the server,
then kept in ``sessionStorage``) and calls the JSON API like the extension's
background worker does. The widget files are served from ``extension/``.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, send_from_directory, url_for

bp = Blueprint("preview", __name__)

EXTENSION_DIR = Path(__file__).resolve().parent.parent / "extension"

# Only the files the preview page loads; nothing else under extension/ is served.
PREVIEW_FILES = (
    "lib/api-client.js",
    "preview/shim.js",
    "content/core/ns.js",
    "content/core/dom.js",
    "content/core/format.js",
    "content/core/messaging.js",
    "content/widget/sections.js",
    "content/widget/widget.js",
    "preview/preview.js",
)
STYLES = ("ui/page.css", "preview/preview.css")
SERVED_FILES = frozenset((*PREVIEW_FILES, *STYLES, "widget/widget.css"))

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>account360 widget preview</title>
{styles}
</head>
<body>
  <main class="preview">
    <h1>account360 <small>widget preview</small></h1>
    <p class="hint">The same widget the browser extension shows in Gmail, Salesforce
      and HubSpot.</p>
    <form id="pick" data-testid="preview-form">
      <label for="what">Account id, contact email or domain</label>
      <input id="what" name="what" type="text" autocomplete="off" spellcheck="false">
      <label for="token">API token</label>
      <input id="token" name="token" type="password" autocomplete="off">
      <p><button type="submit" class="primary">Show widget</button></p>
    </form>
    <p id="note" class="muted" data-testid="preview-note"></p>
  </main>
{scripts}
</body>
</html>
"""


def _page_html() -> str:
    def src(name: str) -> str:
        return url_for("preview.extension_file", name=name)

    styles = "\n".join(f'  <link rel="stylesheet" href="{src(n)}">' for n in STYLES)
    scripts = "\n".join(f'  <script src="{src(n)}"></script>' for n in PREVIEW_FILES)
    return _PAGE.format(styles=styles, scripts=scripts)


@bp.get("/preview")
def preview() -> Response:
    """Serve the preview page (static HTML; the query string is read client-side)."""
    resp = Response(_page_html(), mimetype="text/html")
    resp.headers["Content-Security-Policy"] = CSP
    resp.headers["Referrer-Policy"] = "no-referrer"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/preview/ext/<path:name>")
def extension_file(name: str) -> Response:
    """Serve one of the extension's widget files used by the preview page."""
    if name not in SERVED_FILES:
        abort(404)
    resp = send_from_directory(EXTENSION_DIR, name, max_age=0)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp
