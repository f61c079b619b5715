"""Static checks of the extension: size budget, forbidden APIs, manifest permissions."""

from __future__ import annotations

import json
import re
from pathlib import Path

EXTENSION_DIR = Path(__file__).resolve().parents[2] / "extension"
MANIFEST = json.loads((EXTENSION_DIR / "manifest.json").read_text())
BUDGET = 60_000  # bytes; the stricter reading of "60 KB"
#: The side panel page is not injected into any host page; its own stated budget.
PANEL_BUDGET = 90_000

FORBIDDEN = re.compile(
    r"\.innerHTML\b|\.outerHTML\b|insertAdjacentHTML|document\.write|\beval\s*\("
    r"|new\s+Function\s*\(|setTimeout\s*\(\s*['\"`]|createContextualFragment|DOMParser")


def injected_css() -> set[Path]:
    """Stylesheets content scripts load into a host page (web accessible to the hosts)."""
    return {EXTENSION_DIR / name for entry in MANIFEST.get("web_accessible_resources", [])
            for name in entry["resources"] if name.endswith(".css")}


def content_files() -> set[Path]:
    files = injected_css()
    for entry in MANIFEST["content_scripts"]:
        files.update(EXTENSION_DIR / name for name in entry["js"])
    return files


def test_content_scripts_within_60_kb():
    """What a host page gets: all content scripts of the manifest plus the chip's CSS, and
    each host's own entry (one adapter)."""
    total = sum(p.stat().st_size for p in content_files())
    css = sum(p.stat().st_size for p in injected_css())
    per_host = {entry["js"][-2].split("/")[-1]: css + sum((EXTENSION_DIR / n).stat().st_size
                                                        for n in entry["js"])
                for entry in MANIFEST["content_scripts"]}
    print(f"\ncontent scripts + chip CSS: {total} bytes ({total / 1024:.1f} KB) of {BUDGET}; "
          f"per host page: {per_host}")
    assert total <= BUDGET, total
    assert all(size <= BUDGET for size in per_host.values()), per_host
    # The 360 itself is not injected: it renders in the side panel.
    injected = {p.name for p in content_files()}
    assert "widget.js" not in injected and "sections.js" not in injected


def test_side_panel_page_within_its_budget():
    """The side panel's page, its scripts and stylesheets (incl. the widget CSS)."""
    panel = EXTENSION_DIR / MANIFEST["side_panel"]["default_path"]
    html = panel.read_text()
    refs = re.findall(r'(?:src|href)="([^"]+)"', html)
    files = {panel} | {(panel.parent / r).resolve() for r in refs}
    files.add(EXTENSION_DIR / "widget" / "widget.css")
    total = sum(p.stat().st_size for p in files)
    print(f"\nside panel: {total} bytes ({total / 1024:.1f} KB) of {PANEL_BUDGET}")
    assert total <= PANEL_BUDGET, total


def test_no_html_string_apis_in_extension_js():
    offenders = []
    for path in sorted(EXTENSION_DIR.rglob("*.js")):
        for no, line in enumerate(path.read_text().splitlines(), 1):
            if FORBIDDEN.search(line):
                offenders.append(f"{path.relative_to(EXTENSION_DIR)}:{no}: {line.strip()}")
    assert offenders == []


def test_every_js_file_is_an_iife():
    for path in sorted(EXTENSION_DIR.rglob("*.js")):
        if path.name == "background.js":
            continue  # the service worker's own global scope
        code = re.sub(r"/\*.*?\*/", "", path.read_text(), flags=re.S).strip()
        assert code.startswith("(function"), path
        assert re.search(r"\}\)\((globalThis(\.A360)?)?\);$", code), path


def test_manifest_permissions_are_narrow():
    assert MANIFEST["manifest_version"] == 3
    assert MANIFEST["permissions"] == ["storage", "sidePanel"]
    assert sorted(MANIFEST["host_permissions"]) == sorted([
        "https://mail.google.com/*", "https://*.lightning.force.com/*",
        "https://app.hubspot.com/*", "https://app-eu1.hubspot.com/*",
        "http://127.0.0.1/*", "http://localhost/*"])
    assert MANIFEST["optional_host_permissions"] == ["https://*/*"]
    matches = {m for entry in MANIFEST["content_scripts"] for m in entry["matches"]}
    assert matches == {"https://mail.google.com/*", "https://*.lightning.force.com/*",
                       "https://app.hubspot.com/*", "https://app-eu1.hubspot.com/*"}


def test_only_the_background_calls_the_server():
    """fetch() lives in the API client loaded by the service worker (and the preview page)."""
    users = sorted(str(p.relative_to(EXTENSION_DIR)) for p in EXTENSION_DIR.rglob("*.js")
                   if re.search(r"\bfetch\s*\(|XMLHttpRequest|WebSocket", p.read_text()))
    assert users == ["lib/api-client.js"]
    assert 'importScripts("lib/api-client.js")' in (EXTENSION_DIR / "background.js").read_text()
