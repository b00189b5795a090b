"""tools/build_codebooks.py reproduces the committed package data from ../shared/data.

Also checks the generated tables against the raw upstream files, so a fix that silently
changes more than it claims is caught.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from dyadwatch.codebooks import cameo, plover

pytestmark = pytest.mark.sample

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "dyadwatch" / "codebooks" / "data"


@pytest.fixture(scope="module")
def build_script() -> ModuleType:
    path = REPO / "tools" / "build_codebooks.py"
    spec = importlib.util.spec_from_file_location("build_codebooks", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def test_build_reproduces_committed_files_byte_for_byte(
    build_script: ModuleType, shared_data: Path
) -> None:
    outputs = {o.name: o.data for o in build_script.build(shared_data)}
    committed = {p.name: p.read_bytes() for p in DATA.iterdir() if p.is_file()}
    assert sorted(outputs) == sorted(committed)
    stale = [name for name in outputs if outputs[name] != committed[name]]
    assert stale == [], f"run tools/build_codebooks.py; stale: {stale}"
    # Deterministic: a second build gives the same bytes.
    again = {o.name: o.data for o in build_script.build(shared_data)}
    assert again == outputs


def test_check_mode_flags_stale_output(
    build_script: ModuleType, shared_data: Path, tmp_path: Path
) -> None:
    args = ["--shared", str(shared_data), "--out", str(tmp_path)]
    assert build_script.main([*args, "--check"]) == 1  # empty folder: everything stale
    assert not any(tmp_path.iterdir())  # --check writes nothing
    assert build_script.main(args) == 0
    assert build_script.main([*args, "--check"]) == 0
    (tmp_path / "cameo_events.csv").write_bytes(b"code\n")
    assert build_script.main([*args, "--check"]) == 1


def _tsv(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    return dict(line.split("\t") for line in lines if line.strip())


def test_events_equal_upstream_except_the_listed_fixes(
    build_script: ModuleType, shared_data: Path
) -> None:
    lookups = shared_data / "cameo" / "gdelt_lookups"
    names = _tsv(lookups / "CAMEO.eventcodes.txt")
    gold = _tsv(lookups / "CAMEO.goldsteinscale.txt")
    book = cameo()
    assert set(book.events) == set(names) | set(build_script.ADDED_CODES)
    for code, raw in names.items():
        event = book.events[code]
        assert event.goldstein == float(gold[code]), code
        if code in build_script.NAME_FIXES:
            assert raw.strip() == build_script.NAME_FIXES[code][0]
            assert event.name == build_script.NAME_FIXES[code][1]
        else:
            assert event.name == " ".join(raw.split()), code


def test_actor_tables_equal_upstream(shared_data: Path) -> None:
    book = cameo()
    countries = _tsv(shared_data / "cameo" / "aamend_reference" / "cameoCountry.txt")
    assert dict(book.countries) == {c: label.strip() for c, label in countries.items()}
    types = _tsv(shared_data / "cameo" / "gdelt_lookups" / "CAMEO.type.txt")
    assert dict(book.agent_types) == {c: label.strip() for c, label in types.items()}


def test_crosswalk_equals_upstream_except_the_listed_fixes(
    build_script: ModuleType, shared_data: Path
) -> None:
    lines = build_script.parse_plover(shared_data / "plover" / "CAMEO2PLOVER-2021.txt")
    seen: set[str] = set()
    cross = plover()
    for line in lines:
        if line.code in seen:  # duplicates (08, 175): the first line is used
            continue
        seen.add(line.code)
        mapping = cross.for_cameo(line.code)
        assert mapping is not None and mapping.event_type == line.event, line.code
        if line.code in build_script.PLOVER_FIXES:
            expected = build_script.PLOVER_FIXES[line.code][1]
        else:
            expected = (line.mode, line.context)
        assert (mapping.mode or "", mapping.context or "") == expected, line.code
