#!/usr/bin/env python3
"""Set up dyadwatch in ./.venv and run the main job or the tests (stdlib only).

    python3 dev.py start   # set up, then build the store from what ships and write the brief
    python3 dev.py test    # set up, then ruff, mypy, kb validate and the whole test suite
                           # (with its doctests; fails under 95 % line coverage)
    python3 dev.py test tests/unit   # part of the suite: coverage reported, not enforced

Setting up is idempotent: the venv is created once and reinstalled only when
pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
STAMP = VENV / ".dyadwatch-installed"
COVERAGE = 95
"""Percent of dyadwatch's lines the whole test suite must run (95.1 % when the gate was set)."""


def sh(*args: str | Path, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    result = subprocess.run([str(a) for a in args], cwd=ROOT, env=env)
    if result.returncode != 0:
        sys.exit(result.returncode)


def setup() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script must run on old Pythons to say so
        sys.exit(f"dyadwatch needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not (BIN / "python").exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text() != want:
        sh(BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        sh(BIN / "python", "-m", "pip", "install", "--quiet", "-e", ".[dev]")
        STAMP.write_text(want)


def start(extra: list[str]) -> None:
    sh(BIN / "dyadwatch", "run", *extra)


def test(extra: list[str]) -> None:
    lint = ("dyadwatch", "tests", "bench", "tools", "conftest.py", "dev.py")
    sh(BIN / "ruff", "format", "--check", *lint)
    sh(BIN / "ruff", "check", *lint)
    sh(BIN / "mypy")
    if (ROOT / "dyadwatch" / "present" / "cli" / "kb.py").exists():
        sh(BIN / "dyadwatch", "kb", "validate")
    env = dict(os.environ)
    env.setdefault("PYTHONHASHSEED", "0")
    # Line coverage of dyadwatch/ over the whole suite (its doctests included) stays at or
    # above 95 % (issue 14); a run of part of the suite (extra arguments) only reports it.
    cov = ["--cov", "--cov-report=term:skip-covered"]
    if not extra:
        cov.append(f"--cov-fail-under={COVERAGE}")
    sh(BIN / "python", "-m", "pytest", "-n", "2", "-q", *cov, *extra, env=env)


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in ("start", "test", "setup"):
        sys.exit(__doc__)
    setup()
    command, extra = sys.argv[1], sys.argv[2:]
    if command == "start":
        start(extra)
    elif command == "test":
        test(extra)


if __name__ == "__main__":
    main()
