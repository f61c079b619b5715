"""Static checks of the extension: size budget, forbidden APIs, manifest permissions."""

from __future__ import annotations

import json
import re
from pathlib import Path

EXTENSION_DIR = Path(__file__).resolve().parents[2] / "extension"
MANIFEST = json.loads((EXTENSION_DIR / "manifest.json").read_text())
BUDGET = 60_000  # bytes; the stricter reading of "60 KB"

FORBIDDEN = re.compile(
    r"\.innerHTML\b|\.outerHTML\b|insertAdjacentHTML|document\.write|\beval\s*\("
    r"|new\s+Function\s*\(|setTimeout\s*\(\s*['\"`]|createContextualFragment|DOMParser")


def content_files() -> set[Path]:
    files = {EXTENSION_DIR / "widget" / "widget.css"}
    for entry in MANIFEST["content_scripts"]:
        files.update(EXTENSION_DIR / name for name in entry["js"])
    return files


def test_content_scripts_and_widget_within_60_kb():
    """All content scripts of all hosts plus the widget CSS; one page loads less (one adapter)."""
    total = sum(p.stat().st_size for p in content_files())
    css = (EXTENSION_DIR / "widget" / "widget.css").stat().st_size
    per_host = {entry["js"][-2].split("/")[-1]: css + sum((EXTENSION_DIR / n).stat().st_size
                                                        for n in entry["js"])
                for entry in MANIFEST["content_scripts"]}
    print(f"\ncontent scripts + widget: {total} bytes ({total / 1024:.1f} KB) of {BUDGET}; "
          f"per host page: {per_host}")
    assert total <= BUDGET, total


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
    assert MANIFEST["permissions"] == ["storage"]
    assert sorted(MANIFEST["host_permissions"]) == sorted([
        "https://mail.google.com/*", "https://*.lightning.force.com/*",
        "https://app.hubspot.com/*", "http://127.0.0.1/*", "http://localhost/*"])
    assert MANIFEST["optional_host_permissions"] == ["https://*/*"]
    matches = {m for entry in MANIFEST["content_scripts"] for m in entry["matches"]}
    assert matches == {"https://mail.google.com/*", "https://*.lightning.force.com/*",
                       "https://app.hubspot.com/*"}


def test_only_the_background_calls_the_server():
    """fetch() lives in the API client loaded by the service worker (and the preview page)."""
    users = sorted(str(p.relative_to(EXTENSION_DIR)) for p in EXTENSION_DIR.rglob("*.js")
                   if re.search(r"\bfetch\s*\(|XMLHttpRequest|WebSocket", p.read_text()))
    assert users == ["lib/api-client.js"]
    assert 'importScripts("lib/api-client.js")' in (EXTENSION_DIR / "background.js").read_text()
