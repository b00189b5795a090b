"""The mappings the event-dataset sources share: sectors, PLOVER ↔ CAMEO, ACLED, files."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dyadwatch.codebooks import cameo, plover
from dyadwatch.errors import ArtifactError
from dyadwatch.sources.acled import agent_for, country_of_actor, crosswalk, inter_code
from dyadwatch.sources.base import LINE_COLUMN
from dyadwatch.sources.crosswalk import cameo_for, plover_types, quad_class_for
from dyadwatch.sources.eventfile import join_present, to_json
from dyadwatch.sources.lookups import country_codes, icews_event_labels, icews_sectors
from dyadwatch.sources.sectors import STATE_SECTORS, agent_for_sector, pick_agent
from dyadwatch.sources.tabular import parse, read_bytes, to_utf8

pytestmark = pytest.mark.unit


def test_state_organs_win_and_the_most_specific_one_is_kept() -> None:
    assert pick_agent(["GOV", "MIL"]) == "MIL"
    assert pick_agent(["CVL", "GOV"]) == "GOV"
    assert pick_agent(["GOV", "SPY", "COP"]) == "SPY"
    assert pick_agent(["BUS", "MED"]) == "BUS"
    assert pick_agent([None, None]) is None


@given(st.lists(st.sampled_from(sorted(STATE_SECTORS | {"CVL", "BUS", "CRM", "MED"}))))
@settings(max_examples=200, deadline=None)
def test_an_actor_with_any_state_sector_is_a_state_organ(codes: list[str]) -> None:
    agent = pick_agent(codes)
    assert (agent in STATE_SECTORS) == any(c in STATE_SECTORS for c in codes)
    assert agent == pick_agent(list(reversed(codes))) or not set(codes) & STATE_SECTORS


def test_icews_sector_labels_and_polecat_sector_words() -> None:
    sectors = icews_sectors()
    assert sectors["Foreign Ministry"] == "GOV" and sectors["Police"] == "COP"
    assert sectors["Military"] == "MIL" and sectors["Judicial"] == "JUD"
    assert agent_for_sector("Executive") == "GOV" and agent_for_sector("GOVMIL") == "GOV"
    assert agent_for_sector("Criminal") == "CRM" and agent_for_sector("Unspecified") is None


def test_every_plover_type_maps_to_a_cameo_code_that_maps_back_to_it() -> None:
    book = cameo()
    assert len(plover_types()) == 16
    for kind in plover_types():
        code = cameo_for(kind)
        assert code is not None and book.is_event_code(code) and len(code) >= 3
        mapping = plover().for_cameo(code)
        assert mapping is not None and mapping.event_type == kind


def test_plover_mode_and_context_narrow_the_cameo_code() -> None:
    assert cameo_for("ASSAULT") == "180"
    assert cameo_for("ASSAULT", "firearms", ["military"]) == "193"
    assert cameo_for("COERCE", "arrest") == "173"
    assert cameo_for("consult", "VISIT") == cameo_for("CONSULT", "visit")
    assert cameo_for("CONSULT", "not-a-mode") == cameo_for("CONSULT")
    assert cameo_for("FIGHT") is None


def test_quad_codes() -> None:
    assert [quad_class_for(q) for q in ("VERBAL COOPERATION", "material_conflict", "3")] == [
        1,
        4,
        3,
    ]
    assert quad_class_for("NEUTRAL") is None


def test_icews_labels_map_to_codes_and_ambiguous_labels_to_none() -> None:
    labels = icews_event_labels()
    assert labels["Make statement"] == "010"
    assert labels["Appeal for intelligence"] == "0214"
    assert labels["Demand release of persons or property"] is None


def test_country_names() -> None:
    codes = country_codes()
    assert codes["Mexico"] == "MEX" and codes["United States"] == "USA"
    assert all(len(v) == 3 and v.isalpha() for v in codes.values())


def test_acled_crosswalk_codes_are_cameo_codes_and_each_has_a_reason() -> None:
    book = cameo()
    walk = crosswalk()
    assert len(walk) == 25
    for (event_type, sub), row in walk.items():
        assert row["note"], (event_type, sub)
        if row["cameo_code"] is not None:
            assert book.is_event_code(row["cameo_code"]), row
    assert walk[("battles", "armed clash")]["cameo_code"] == "190"
    assert walk[("strategic developments", "other")]["cameo_code"] is None


def test_acled_inter_codes_and_actor_names() -> None:
    assert [inter_code(v) for v in ("1", "8", "0", "9", "Rioters", "x", None)] == [
        1,
        8,
        0,
        None,
        5,
        None,
        0,
    ]
    assert agent_for("1", "Police Forces of Mexico (2018-) National Guard") == "COP"
    assert agent_for("1", "Government of Mexico (2018-)") == "GOV"
    assert agent_for("4", "Los Zetas Cartel") == "CRM"
    assert agent_for("4", "Communal Militia (Mexico)") == "UAF"
    assert agent_for("8", "United Nations") == "IGO"
    assert agent_for("6", "Protesters (Mexico)") == "CVL"
    codes = country_codes()
    assert country_of_actor("Military Forces of the United States (2021-)", codes) == "USA"
    assert country_of_actor("Civilians (Mexico)", codes) == "MEX"
    assert country_of_actor("CJNG: Jalisco New Generation Cartel", codes) is None


def test_to_json_and_join_present_keep_row_counts() -> None:
    a = pa.array(["x", None, None])
    b = pa.array([None, None, "y"])
    assert join_present([a, b], ", ").to_pylist() == ["x", None, "y"]
    assert to_json({"a": a, "b": b}).to_pylist() == [
        '{"a":"x","b":null}',
        None,
        '{"a":null,"b":"y"}',
    ]


# --- reading files -----------------------------------------------------------------------------


def test_parse_sets_aside_ragged_rows_and_repairs_stray_tabs() -> None:
    data = b"a\tb\tc\n1\t2\t3\n4\t5\n6\t7\t8\t\t\n9\t10\t11\textra\n"
    parsed = parse(data, delimiter="\t", trailing_empty_ok=True)
    assert parsed.table.column("a").to_pylist() == ["1", "6"]
    assert parsed.table.column(LINE_COLUMN).to_pylist() == [2, 4]
    assert parsed.repaired == [4]
    assert [(r.line, r.reason.split(",")[0]) for r in parsed.rejects] == [
        (3, "2 field(s)"),
        (5, "4 field(s)"),
    ]


def test_quoted_csv_with_line_breaks_keeps_record_numbers() -> None:
    data = b'a,b\n1,"two\nlines"\n3,4\n5\n'
    parsed = parse(data, delimiter=",", quoted=True)
    assert parsed.table.column("b").to_pylist() == ["two\nlines", "4"]
    assert parsed.table.column(LINE_COLUMN).to_pylist() == [2, 4]
    assert [r.line for r in parsed.rejects] == [5]


def test_encodings() -> None:
    latin = "a\nSecretaría\n".encode("latin-1")
    assert to_utf8(latin, "iso-8859-1")[0] == "a\nSecretaría\n".encode()
    utf8 = "a\nSecretaría\n".encode()
    text, rejects, read_as = to_utf8(utf8, "iso-8859-1")
    assert text == utf8 and not rejects and read_as == "utf-8"
    text, rejects, _ = to_utf8(b"h\nok\n\xff\xfe bad\nok\n", "utf-8")
    assert [r.line for r in rejects] == [3] and text.count(b"\n") == 4


def test_read_bytes_refuses_empty_truncated_and_html(tmp_path: Path) -> None:
    empty = tmp_path / "empty.tab"
    empty.write_bytes(b"")
    with pytest.raises(ArtifactError, match="empty"):
        read_bytes(empty)
    page = tmp_path / "page.csv"
    page.write_bytes(b"<!DOCTYPE html><html>Not found</html>")
    with pytest.raises(ArtifactError, match="HTML"):
        read_bytes(page)
    good = tmp_path / "good.zip"
    with zipfile.ZipFile(good, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("events.tab", "a\tb\n" + "1\t2\n" * 1000)
    assert read_bytes(good).startswith(b"a\tb\n")
    cut = tmp_path / "cut.zip"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ArtifactError, match="truncated or corrupt"):
        read_bytes(cut)
