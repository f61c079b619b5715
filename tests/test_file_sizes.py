"""No source file grows past 400 lines (issue: one-way layers): a larger file is a design smell to
split, not to explain. Migrations, recorded vendor fixtures and vendored third-party files are data."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 400
SOURCES = ("server", "connectors", "extension", "tests", "bench", "scripts")
SUFFIXES = {".py", ".js", ".sh", ".css", ".html"}
EXEMPT_PARTS = {"versions", "fixtures", "fixtures_usage", "vendor", "__pycache__", "node_modules"}


def source_files() -> list[Path]:
    found = []
    for top in SOURCES:
        for path in (ROOT / top).rglob("*"):
            rel = path.relative_to(ROOT)
            if path.suffix in SUFFIXES and path.is_file() and not EXEMPT_PARTS & set(rel.parts):
                found.append(path)
    return found


def test_the_walk_sees_the_project():
    names = {p.relative_to(ROOT).as_posix() for p in source_files()}
    assert {"server/models.py", "connectors/http.py", "extension/background.js",
            "tests/conftest.py"} <= names
    assert not any("/versions/" in n for n in names)


def test_no_source_file_over_400_lines():
    too_long = {}
    for path in source_files():
        with path.open(encoding="utf-8", errors="replace") as fh:
            count = sum(1 for _ in fh)
        if count > LIMIT:
            too_long[path.relative_to(ROOT).as_posix()] = count
    assert too_long == {}, f"split these files (over {LIMIT} lines): {too_long}"
