"""The layers: no module under connectors/ imports server, no import cycle anywhere, and
metrics import only the standard library and each other.

The graph is read with `ast` from the source files of `server/` and `connectors/`, with
imports at module level and inside functions alike (only `if TYPE_CHECKING:` blocks are
left out: they never run). `from pkg import name` points at `pkg.name` when that is a
module of the project, else at `pkg`.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("server", "connectors")


def modules(root: Path, packages=PACKAGES) -> dict[str, Path]:
    """Dotted module name -> source file, for every .py file of the packages."""
    out = {}
    for pkg in packages:
        for path in sorted((root / pkg).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST):
    """Every Import/ImportFrom node, skipping `if TYPE_CHECKING:` bodies."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        children = list(ast.iter_child_nodes(node))
        if isinstance(node, ast.If) and _is_type_checking(node):
            children = list(node.orelse)
        stack.extend(children)


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    """The longest prefix of `name` that is a project module."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in known:
            return candidate
        parts.pop()
    return None


def import_graph(root: Path = ROOT, packages=PACKAGES) -> dict[str, set[str]]:
    """Module -> the project modules it imports."""
    known = modules(root, packages)
    graph: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        is_pkg = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in _imports(tree):
            targets: list[str | None] = []
            if isinstance(node, ast.Import):
                targets = [_resolve(a.name, known) for a in node.names]
            else:
                base = node.module or ""
                if node.level:
                    here = name.split(".") if is_pkg else name.split(".")[:-1]
                    up = here[:len(here) - (node.level - 1)]
                    base = ".".join(up + ([base] if base else []))
                for alias in node.names:
                    full = f"{base}.{alias.name}" if base else alias.name
                    targets.append(full if full in known else _resolve(base, known))
            graph[name].update(t for t in targets if t and t != name)
    return graph


def third_party(path: Path) -> set[str]:
    """Top-level names of the modules outside the project and the standard library that a
    source file imports."""
    out = set()
    for node in _imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                 else [node.module or ""] if not node.level else [])
        for name in names:
            root = name.split(".")[0]
            if root and root not in PACKAGES and root not in sys.stdlib_module_names:
                out.add(root)
    return out


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    """`connectors.x -> server.y` edges."""
    return sorted(f"{src} -> {dst}" for src, dsts in graph.items() for dst in dsts
                  if src.split(".")[0] == "connectors" and dst.split(".")[0] == "server")


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


# -- the project ---------------------------------------------------------------------
def test_connectors_import_nothing_of_the_server():
    assert layer_violations(import_graph()) == []


def test_no_import_cycle_among_the_projects_modules():
    assert cycles(import_graph()) == []


def test_metrics_stay_pure_functions_of_the_standard_library():
    graph = import_graph()
    metrics = {name: path for name, path in modules(ROOT).items()
               if name.startswith("server.metrics")}
    assert metrics
    outside = sorted(f"{src} -> {dst}" for src in metrics for dst in graph[src]
                     if not dst.startswith("server.metrics"))
    assert outside == []
    assert {name: third_party(path) for name, path in metrics.items() if third_party(path)} == {}


def test_every_connector_module_imports_with_the_server_unavailable():
    code = ("import importlib, pkgutil, sys\n"
            "sys.modules['server'] = None  # any import of server now fails\n"
            "import connectors\n"
            "names = [m.name for m in pkgutil.walk_packages(connectors.__path__, 'connectors.')]\n"
            "for name in names:\n"
            "    importlib.import_module(name)\n"
            "print(len(names))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) == len([n for n in modules(ROOT, ("connectors",)) if "." in n])


def test_the_graph_sees_module_and_function_level_imports():
    graph = import_graph()
    assert "server.ingest" in graph["server.sync.engine"]          # module level
    assert "server.sync.runs" in graph["server.sync.engine"]       # from package import module
    assert "connectors.errors" in graph["server.sync.engine"]      # inside a function
    assert "connectors.common" in graph["server.records"]          # server may use connectors


# -- the checker itself, on a made-up tree -----------------------------------------------
def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def test_third_party_imports_are_told_from_the_standard_library(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("import json\nfrom decimal import Decimal\nimport sqlalchemy.orm\n"
                    "def f():\n    from flask import g\nfrom . import x\nimport server.db\n",
                    encoding="utf-8")
    assert third_party(path) == {"sqlalchemy", "flask"}


def test_a_connector_importing_the_server_is_reported(tmp_path):
    root = _tree(tmp_path, {
        "server/__init__.py": "",
        "server/models.py": "",
        "connectors/__init__.py": "",
        "connectors/a.py": "def f():\n    from server import models\n",
        "connectors/b.py": "import server.models\n",
        "connectors/c.py": "from typing import TYPE_CHECKING\n"
                           "if TYPE_CHECKING:\n    from server import models\n",
    })
    assert layer_violations(import_graph(root)) == ["connectors.a -> server.models",
                                                    "connectors.b -> server.models"]


def test_cycles_are_found_through_relative_and_function_level_imports(tmp_path):
    root = _tree(tmp_path, {
        "server/__init__.py": "",
        "server/a.py": "from . import b\n",
        "server/b.py": "def f():\n    from server.c import x\n",
        "server/c.py": "from .a import y\n",
        "server/d.py": "from server import a\n",
        "connectors/__init__.py": "",
    })
    assert cycles(import_graph(root)) == [["server.a", "server.b", "server.c"]]
