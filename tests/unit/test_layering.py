"""Stages import only the core and earlier stages (DESIGN.md, "Data flow")."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

PACKAGE = Path(__file__).resolve().parents[2] / "dyadwatch"

# Rank of each top-level module or stage; a module may import only ranks <= its own.
# The core (model, errors, settings, visibility) is rank 0. codebooks and knowledge are package
# data with loaders, usable from every stage. The pipeline assembles sources, normalise and store.
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


# --- data access lives below present/ (issue 14 item 3) ----------------------------------------

PRESENT = PACKAGE / "present"

# Files of present/ still reading the store themselves, each owned by an engineer moving its
# queries below present/ (policy/digest.py, analyse/records.py). The list may only shrink: a
# file not on it that names DuckDB or compares known_at fails the tests below.
DUCKDB_ALLOWED = {"api/data.py", "release.py"}
KNOWN_AT_ALLOWED = {"api/data.py"}

COMPARISON = re.compile(
    r"known_at\s*(?:<=|>=|<|>|==|!=)|(?:<=|>=|<|>|==|!=)\s*[\w.\[\]\"']*known_at"
)


def _present_files() -> list[Path]:
    return sorted(
        p for p in PRESENT.rglob("*") if p.is_file() and p.suffix in (".py", ".j2", ".html")
    )


def test_present_imports_no_duckdb() -> None:
    found = {
        str(p.relative_to(PRESENT))
        for p in _present_files()
        if "duckdb" in p.read_text(encoding="utf-8")
    }
    assert found <= DUCKDB_ALLOWED, f"DuckDB in present/: {sorted(found - DUCKDB_ALLOWED)}"


def test_present_compares_no_known_at() -> None:
    found = {
        str(p.relative_to(PRESENT))
        for p in _present_files()
        if COMPARISON.search(p.read_text(encoding="utf-8"))
    }
    assert found <= KNOWN_AT_ALLOWED, (
        f"known_at compared in present/ (ask dyadwatch.visibility or a module below present/): "
        f"{sorted(found - KNOWN_AT_ALLOWED)}"
    )


def test_the_known_at_check_catches_a_comparison() -> None:
    assert COMPARISON.search("if s.known_at <= window_end:")
    assert COMPARISON.search('where += " AND known_at > ?"')
    assert COMPARISON.search("window_start < state.known_at")
    assert not COMPARISON.search("known_at=row['known_at'],")
