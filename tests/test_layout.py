"""The package layout of docs/architecture.md: the core library never imports the applications
(``posegraph.apps``), and no task is told apart by comparing its name."""

from __future__ import annotations

import ast
from pathlib import Path

import posegraph

SRC = Path(posegraph.__file__).resolve().parent


def _imports(path: Path) -> list[str]:
    """The absolute module names ``path`` imports (relative imports resolved)."""
    pkg = path.relative_to(SRC.parent).with_suffix("").parts[:-1]
    if path.name == "__init__.py":
        pkg = path.relative_to(SRC.parent).parts[:-1]
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = list(pkg[: len(pkg) - node.level + 1]) if node.level else []
            mod = ".".join(base + ([node.module] if node.module else []))
            out += [mod] + [f"{mod}.{a.name}" for a in node.names]
    return out


def test_core_does_not_import_apps():
    core = [p for p in SRC.rglob("*.py") if "apps" not in p.relative_to(SRC).parts and p.name != "cli.py"]
    assert len(core) > 30
    bad = {str(p.relative_to(SRC)): m for p in core for m in _imports(p) if m.startswith("posegraph.apps")}
    assert not bad, f"core modules importing the applications: {bad}"
    # and the check sees imports at all: the CLI does import the apps
    assert any(m.startswith("posegraph.apps.lift") for m in _imports(SRC / "cli.py"))
