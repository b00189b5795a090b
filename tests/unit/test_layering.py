"""Stages import only the core and earlier stages (DESIGN.md, "Data flow")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

PACKAGE = Path(__file__).resolve().parents[2] / "dyadwatch"

# Rank of each top-level module or stage; a module may import only ranks <= its own.
# The core (model, errors, settings, visibility) is rank 0. codebooks and knowledge are package data with
# loaders, usable from every stage. The pipeline assembles sources, normalise and store.
RANK = {
    "errors": 0,
    "model": 0,
    "settings": 0,
    "visibility": 0,
    "codebooks": 1,
    "knowledge": 1,
    "sources": 2,
    "coding": 3,
    "normalise": 4,
    "store": 5,
    "pipeline": 6,
    "analyse": 7,
    "policy": 8,
    "present": 9,
    "__main__": 9,
    "__init__": 0,
}


def _stage(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "dyadwatch" and len(parts) > 1:
                found.add(parts[1])
    return found


def test_every_module_has_a_rank() -> None:
    stages = {_stage(p) for p in PACKAGE.rglob("*.py")}
    assert stages <= set(RANK), f"unranked stages: {stages - set(RANK)}"


def test_no_stage_imports_a_later_stage() -> None:
    backward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        stage = _stage(path)
        for imported in _imports(path):
            if imported in RANK and RANK[imported] > RANK[stage]:
                backward.append(f"{path.relative_to(PACKAGE)} ({stage}) imports {imported}")
    assert not backward, "backward imports:\n" + "\n".join(backward)


def test_the_check_catches_a_backward_edge(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from dyadwatch.present.cli import main\n")
    assert _imports(bad) == {"present"}
