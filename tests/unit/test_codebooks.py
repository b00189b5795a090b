"""CAMEO and PLOVER codebooks: golden values, lookups, errors, crosswalk coverage, laziness.

Golden values were read by hand from the upstream tables in ../shared/data/cameo
(gdelt_lookups/CAMEO.eventcodes.txt, CAMEO.goldsteinscale.txt, aamend_reference/*.txt) and
../shared/data/plover/CAMEO2PLOVER-2021.txt; the line numbers are those files'.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dyadwatch.codebooks import (
    CROSSWALK_SCHEMA,
    EVENT_TABLE_SCHEMA,
    EventCode,
    PloverMapping,
    cameo,
    plover,
)
from dyadwatch.errors import CodebookError, DyadwatchError

pytestmark = pytest.mark.unit

PLOVER_EVENT_TYPES = {
    "ACCUSE",
    "AGREE",
    "AID",
    "ASSAULT",
    "COERCE",
    "CONCEDE",
    "CONSULT",
    "COOPERATE",
    "MOBILIZE",
    "PROTEST",
    "REJECT",
    "REQUEST",
    "RETREAT",
    "SANCTION",
    "SUPPORT",
    "THREATEN",
}


# --- event codes: golden values -----------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "name", "goldstein", "quad", "root"),
    [
        # eventcodes.txt line 3 / goldsteinscale.txt line 3
        ("010", "Make statement, not specified below", 0.0, 1, "01"),
        ("01", "MAKE PUBLIC STATEMENT", 0.0, 1, "01"),
        ("0211", "Appeal for economic cooperation", 3.4, 1, "02"),
        ("0314", "Express intent to cooperate on intelligence", 5.2, 1, "03"),
        ("043", "Host a visit", 2.8, 1, "04"),
        ("061", "Cooperate economically", 6.4, 2, "06"),
        ("0874", "Retreat or surrender militarily", 10.0, 2, "08"),
        ("094", "Investigate war crimes", -2.0, 2, "09"),
        ("110", "Disapprove, not specified below", -2.0, 3, "11"),
        ("1385", "Threaten attack with WMD", -7.0, 3, "13"),
        ("145", "Protest violently, riot", -7.5, 3, "14"),
        ("173", "Arrest, detain, or charge with legal action", -5.0, 4, "17"),
        ("190", "Use conventional military force, not specified below", -10.0, 4, "19"),
        ("2042", "Detonate nuclear weapons", -10.0, 4, "20"),
    ],
)
def test_event_golden_values(code: str, name: str, goldstein: float, quad: int, root: str) -> None:
    assert cameo().event(code) == EventCode(code, name, goldstein, quad, root)


def test_upstream_name_fixes() -> None:
    book = cameo()
    # Line 75 upstream: 'Meet at a ÒhirdÓlocation' (mojibake); CAMEO 1.1b3 manual wording.
    assert book.event("044").name == 'Meet at a "third" location'
    assert book.event("033").name == "Express intent to provide material aid, not specified below"
    assert book.event("2041").name == "Use chemical, biological, or radiological weapons"
    # Trailing spaces (e.g. '080\tYield, not specified below ') and doubled spaces are gone.
    assert book.event("080").name == "Yield, not specified below"
    assert book.event("1384").name == "Threaten conventional attack"
    assert book.event("031").name == (
        "Express intent to engage in material cooperation, not specified below"
    )
    # The merged line 156 '1056\t... engagement106:[-5.0] Demand withdrawal' is split in two.
    assert book.event("1056").name == "Demand de-escalation of military engagement"
    assert book.event("106") == EventCode("106", "Demand meeting, negotiation", -5.0, 3, "10")
    # Stale pre-1.1 REQUEST labels replaced by the CAMEO 1.1b3 ones.
    assert book.event("105").name == "Demand that target yields, not specified below"
    assert book.event("108").name == "Demand mediation"
    for event in book.events.values():
        assert event.name == " ".join(event.name.split()), event.code
        assert event.name.isascii(), event.code


def test_event_table_shape_and_invariants() -> None:
    book = cameo()
    # 310 upstream rows + 106 recovered from the merged line: 20 roots, 147 + 144 codes.
    assert len(book.events) == 311
    lengths = [len(c) for c in book.events]
    assert (lengths.count(2), lengths.count(3), lengths.count(4)) == (20, 147, 144)
    assert {e.root for e in book.events.values()} == {f"{r:02d}" for r in range(1, 21)}
    bands = {1: range(1, 6), 2: range(6, 10), 3: range(10, 15), 4: range(15, 21)}
    for code, event in book.events.items():
        assert event.code == code and code.isdigit() and code[:2] == event.root
        assert int(event.root) in bands[event.quad_class]
        assert -10.0 <= event.goldstein <= 10.0
        # A child code always belongs to an existing parent.
        assert code[:-1] in book.events or len(code) == 2


def test_event_table_matches_mapping_and_schema() -> None:
    book = cameo()
    table = book.event_table()
    assert table.schema == EVENT_TABLE_SCHEMA
    assert table.column("code").to_pylist() == list(book.events)
    row = table.filter(pa.compute.equal(table.column("code"), "190")).to_pylist()
    assert row == [
        {
            "code": "190",
            "name": "Use conventional military force, not specified below",
            "goldstein": -10.0,
            "quad_class": 4,
            "root": "19",
        }
    ]


# --- event codes: errors and normalisation ------------------------------------------------


def test_unknown_code_raises_with_did_you_mean() -> None:
    with pytest.raises(
        CodebookError, match=r"Unknown CAMEO event code '0101'\. Did you mean 101\?"
    ):
        cameo().event("0101")
    with pytest.raises(CodebookError, match=r"'43'\. Did you mean 043\? \(leading zeros"):
        cameo().event("43")
    with pytest.raises(CodebookError, match=r"given as int; codes are str.*Did you mean 012\?"):
        cameo().event(12)  # type: ignore[arg-type]
    with pytest.raises(DyadwatchError, match=r"cameo_events\.csv"):
        cameo().event("abc")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", "012"),
        ("43", "043"),
        ("110", "110"),
        ("010", "010"),
        ("0211", "0211"),
        ("211", "0211"),
        (" 190 ", "190"),
        (43, "043"),
        (190, "190"),
        ("1", "01"),
        ("01", "01"),
        ("10", "010"),  # a bare two-digit value is a stripped three-digit code
        ("20", "020"),
        ("47", None),  # neither 047 nor 47 exists
        ("099", None),
        ("0101", None),
        ("1999", None),
        ("12.0", None),
        ("", None),
        ("--", None),
        ("١٢", None),  # non-ASCII digits
        (-12, None),
        (True, None),
        (None, None),
    ],
)
def test_normalise_event_code(raw: object, expected: str | None) -> None:
    assert cameo().normalise_event_code(raw) == expected  # type: ignore[arg-type]


def test_normalise_repairs_every_stripped_code() -> None:
    book = cameo()
    for code in book.events:
        if len(code) >= 3:
            assert book.normalise_event_code(code) == code
            assert book.normalise_event_code(code.lstrip("0")) == code
            assert book.normalise_event_code(int(code)) == code
        # The three/four-digit repair is unambiguous: no code X with "0" + X also a code.
        assert not (len(code) >= 3 and "0" + code in book.events)


@given(st.one_of(st.text(max_size=6), st.integers(), st.none()))
def test_normalise_never_raises_and_returns_a_code(raw: str | int | None) -> None:
    result = cameo().normalise_event_code(raw)
    assert result is None or cameo().is_event_code(result)


def test_is_event_code_is_exact() -> None:
    book = cameo()
    assert book.is_event_code("010")
    assert book.is_event_code("12")  # root REJECT
    assert not book.is_event_code("0101")
    assert not book.is_event_code(10)
    assert not book.is_event_code(None)


# --- actors and geography ------------------------------------------------------------------


def test_countries_types_groups() -> None:
    book = cameo()
    assert book.countries["MEX"] == "Mexico"
    assert book.countries["USA"] == "United States"
    assert book.country("USA") == "United States"
    assert book.is_country("MEX") and not book.is_country("MX") and not book.is_country(None)
    assert len(book.countries) == 261
    assert book.countries["LAM"] == "Latin America"  # regions are CAMEO country codes too
    assert {"COP", "GOV", "MIL", "JUD", "SPY", "CRM", "REB"} <= set(book.agent_types)
    assert book.agent_type("COP") == "Police forces"
    assert book.agent_types["CRM"] == "Criminal"
    assert len(book.agent_types) == 39  # UIS is listed twice upstream
    assert len(book.known_groups) == 115  # CEM and WTO are listed twice upstream
    assert book.known_groups["WTO"] == "World Trade Organization"
    assert " / " in book.known_groups["CEM"]


def test_country_and_agent_type_errors() -> None:
    with pytest.raises(CodebookError, match=r"'MX' is a FIPS 10-4 code; its CAMEO code is MEX"):
        cameo().country("MX")
    with pytest.raises(CodebookError, match=r"Did you mean MEX\?"):
        cameo().country("MEXX")
    with pytest.raises(CodebookError, match=r"Did you mean MIL\?"):
        cameo().agent_type("MILL")


def test_fips() -> None:
    book = cameo()
    assert book.fips_to_iso3("MX") == "MEX"
    assert book.fips_to_iso3("US") == "USA"
    assert book.fips_to_iso3(" mx ") == "MEX"
    assert book.fips_to_iso3("RS") == "RUS"  # FIPS differs from ISO alpha-2
    assert book.fips_to_iso3("ZZ") is None
    assert book.fips_to_iso3(None) is None
    assert book.fips_to_cameo("RO") == "ROM"  # CAMEO keeps ROM where ISO says ROU
    assert book.fips_to_iso3("RO") == "ROU"
    assert book.fips_to_cameo("OD") is None  # South Sudan: no CAMEO code
    table = book.fips_table()
    assert table.num_rows == len(book.fips) == 249
    assert table.column_names == ["fips", "iso3", "cameo", "name"]
    mx = table.filter(pa.compute.equal(table.column("fips"), "MX")).to_pylist()
    assert mx == [{"fips": "MX", "iso3": "MEX", "cameo": "MEX", "name": "Mexico"}]


# --- PLOVER crosswalk ----------------------------------------------------------------------


def test_crosswalk_covers_every_cameo_code() -> None:
    book, cross = cameo(), plover()
    table = cross.crosswalk_table()
    assert table.schema == CROSSWALK_SCHEMA
    rows = {r["cameo_code"]: r for r in table.to_pylist()}
    assert set(book.events) <= set(rows)
    for code, row in rows.items():
        mapped = row["plover_type"] is not None
        assert mapped != (row["unmapped_reason"] is not None), code
        assert (cross.for_cameo(code) is not None) == mapped
        if mapped:
            assert row["plover_type"] in PLOVER_EVENT_TYPES
        else:
            assert row["plover_mode"] is None and row["plover_context"] is None
    unmapped = {c for c, r in rows.items() if r["plover_type"] is None}
    # Only CAMEO roots 01 (statements) and 02 (appeals) are absent from CAMEO2PLOVER-2021.
    assert {c[:2] for c in unmapped} == {"01", "02"}
    assert unmapped == {c for c in book.events if c[:2] in {"01", "02"}}
    assert len(unmapped) == 39
    assert cross.event_types == PLOVER_EVENT_TYPES


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("173", ("COERCE", "arrest", "legal")),  # line 262
        ("0314", ("AGREE", None, "intelligence")),  # line 12
        ("044", ("CONSULT", "third-party", None)),
        ("091", ("ACCUSE", "investigate", "crime;corruption")),  # 'crime; corruption'
        ("08", ("CONCEDE", None, None)),  # root 08 is listed twice; first wins
        ("163", ("COERCE", "restrict", "diplomatic")),
        ("175", ("ASSAULT", None, "pro_autocracy;military")),  # fixed: context in MODE slot
        ("085", ("RETREAT", None, "economic")),  # fixed: 'ease' is no longer a mode
        ("1213", ("REJECT", "assist", "legal")),  # not a GDELT code, kept for ICEWS
        ("2042", ("ASSAULT", "unconventional", "cbrn")),
    ],
)
def test_crosswalk_golden(code: str, expected: tuple[str, str | None, str | None]) -> None:
    assert plover().for_cameo(code) == PloverMapping(code, *expected)


def test_crosswalk_unmapped_and_unknown() -> None:
    cross = plover()
    assert cross.for_cameo("010") is None
    reason = cross.unmapped_reason("0211")
    assert reason is not None and "root 02" in reason
    assert cross.unmapped_reason("173") is None
    with pytest.raises(CodebookError, match=r"Did you mean 173\?"):
        cross.for_cameo("1733")
    with pytest.raises(CodebookError, match="normalise_event_code"):
        cross.for_cameo("43")
    assert cross.for_cameo("091").contexts == ("crime", "corruption")  # type: ignore[union-attr]


# --- loading -------------------------------------------------------------------------------


def test_loaders_are_cached_and_immutable() -> None:
    assert cameo() is cameo()
    assert plover() is plover()
    assert cameo().version == "cameo-1.1b3+gdelt-lookups.dw1"
    assert plover().version.startswith("plover-0.8+")
    with pytest.raises(TypeError):
        cameo().events["999"] = cameo().events["010"]  # type: ignore[index]


def test_import_reads_no_files() -> None:
    # A fresh interpreter records every file opened under codebooks/data: none on import,
    # some on first use (which proves the hook sees resource reads).
    script = textwrap.dedent(
        """
        import sys
        opened = []
        def hook(event, args):
            if event == "open" and "codebooks/data/" in str(args[0]):
                opened.append(str(args[0]))
        sys.addaudithook(hook)
        import dyadwatch.codebooks as cb
        print(len(opened))
        cb.cameo(); cb.plover()
        print(len(opened))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out[0] == "0"
    assert int(out[1]) >= 6
