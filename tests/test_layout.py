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


def test_tasks_are_asked_not_compared_by_name():
    """Code that behaves per task asks ``posegraph.tasks`` instead of comparing the task name with
    ``"lift"``/``"forecast"``; only the config schema (which validates the strings users write)
    and the task table itself may."""
    allowed = {"tasks.py", "config.py"}
    found = []
    for p in SRC.rglob("*.py"):
        if p.name in allowed:
            continue
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.Compare):
                sides = [node.left, *node.comparators]
                consts = [n.value for n in sides if isinstance(n, ast.Constant)]
                consts += [e.value for n in sides if isinstance(n, (ast.Tuple, ast.List, ast.Set))
                           for e in n.elts if isinstance(e, ast.Constant)]
                names = [ast.unparse(n) for n in sides]
                if {"lift", "forecast"} & set(consts) and any("task" in n for n in names):
                    found.append(f"{p.relative_to(SRC)}:{node.lineno}")
    assert not found, f"task names compared as strings: {found}"
