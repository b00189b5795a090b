"""``kb validate``: every problem with file and line, on small generated knowledge bases and on
the real one. Each malformed input has its own test."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from dyadwatch.knowledge.loader import load
from dyadwatch.knowledge.schema import INSTRUMENT_IDS
from dyadwatch.knowledge.validate import errors, validate
from dyadwatch.present.cli.main import cli

pytestmark = pytest.mark.sample

ACTORS = """\
- code: USA:DEA
  name: Drug Enforcement Administration
  country: USA
  agent_type: COP
- code: MEX:SRE
  name: Secretaría de Relaciones Exteriores
  country: MEX
  agent_type: GOV
- code: MEX:CONGRESS
  name: Congress of Mexico
  country: MEX
  agent_type: LEG
"""

EVENTS = """\
- id: 2020-12-15-law-passed
  date: 2020-12-15
  precision: day
  source: MEX:CONGRESS
  target: USA:DEA
  cameo: "172"
  instruments: [foreign_agent_law]
  summary: >-
    Mexico's Congress passed a law limiting foreign agents.
  sources:
    - url: https://example.org/law
      title: Law passed
  verified: true
  relation_effect: -6
  effect_rationale: A law restricting the partner's agents curtails cooperation.

- id: 2021-01-14-guidelines
  date: 2021-01-14
  precision: day
  known_at: 2021-01-20
  source: MEX:SRE
  target: USA:DEA
  cameo: "172"
  instruments: [foreign_agent_law]
  summary: >-
    Mexico published the guidelines that apply the foreign-agent law.
  sources:
    - url: https://example.org/guidelines
      title: Guidelines
  verified: false
  relation_effect: -4
  effect_rationale: Guidelines putting the restrictions into practice.
"""

SERIES = """\
- id: deaths
  name: Deaths
  unit: deaths
  scope: United States, calendar year
  frequency: year
"""

OBSERVATIONS = """\
indicator,period,value,unit,scope,vintage,known_at,source_url,source_title,verified,note
deaths,2020,93655,deaths,"United States, calendar year",provisional,2021-07-14,https://example.org/p,Provisional,yes,
deaths,2020,91799,deaths,"United States, calendar year",final,2021-12-22,https://example.org/f,Final,yes,revised
deaths,2021,107622,deaths,"United States, calendar year",provisional,2022-05-11,https://example.org/p,Provisional,no,
"""


def instruments_yaml(extra_law_states: str = "") -> str:
    out = []
    for inst in INSTRUMENT_IDS:
        if inst == "foreign_agent_law":
            states = (
                "    - state: not_in_force\n"
                "      from: 1985-01-01\n"
                "    - state: in_force\n"
                "      from: 2020-12-18\n"
                "      evidence: [2020-12-15-law-passed]\n"
                "    - state: with_guidelines\n"
                "      from: 2021-01-14\n"
                "      evidence: [2021-01-14-guidelines]\n" + extra_law_states
            )
        else:
            states = "    - state: not_tracked\n      from: 1985-01-01\n"
        out.append(f"- id: {inst}\n  name: {inst}\n  description: d\n  states:\n{states}")
    return "\n".join(out)


def make_kb(root: Path, files: dict[str, str] | None = None) -> Path:
    """A small valid knowledge base at ``root``; ``files`` replace or add files by path."""
    contents = {
        "actors/core.yaml": ACTORS,
        "events/events.yaml": EVENTS,
        "instruments.yaml": instruments_yaml(),
        "indicators/deaths.yaml": SERIES,
        "indicators/deaths.csv": OBSERVATIONS,
    }
    contents.update(files or {})
    for name, text in contents.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def problems_of(root: Path) -> list[str]:
    return [str(p) for p in errors(validate(load(root)))]


def only(problems: list[str], needle: str) -> str:
    found = [p for p in problems if needle in p]
    assert found, f"no problem mentions {needle!r}: {problems}"
    return found[0]


def test_the_small_knowledge_base_is_valid(tmp_path: Path) -> None:
    kb = load(make_kb(tmp_path))
    assert len(kb.events) == 2 and len(kb.instruments) == len(INSTRUMENT_IDS)
    assert len(kb.observations) == 3
    assert errors(validate(kb)) == []


def test_broken_yaml_reports_the_line(tmp_path: Path) -> None:
    broken = EVENTS.replace(
        '  cameo: "172"\n  instruments: [foreign_agent_law]\n', "  cameo: [\n", 1
    )
    make_kb(tmp_path)
    (tmp_path / "events" / "events.yaml").write_text(broken, encoding="utf-8")
    problems = problems_of(tmp_path)
    p = only(problems, "YAML does not parse")
    assert "events/events.yaml:" in p
    line = int(p.split("events.yaml:")[1].split(":")[0])
    assert 6 <= line <= 12


def test_wrong_types_name_field_and_line(tmp_path: Path) -> None:
    text = EVENTS.replace('cameo: "172"', "cameo: 172", 1).replace(
        "date: 2021-01-14", "date: 2021-01-35", 1
    )
    make_kb(tmp_path)
    (tmp_path / "events" / "events.yaml").write_text(text, encoding="utf-8")
    problems = problems_of(tmp_path)
    p = only(problems, "quoted string")
    assert p.startswith(str(tmp_path / "events" / "events.yaml") + ":6:")
    assert ":18:" in only(problems, "is not a date")


def test_unknown_actor_and_unknown_instrument(tmp_path: Path) -> None:
    text = EVENTS.replace("target: USA:DEA", "target: USA:DAE", 1).replace(
        "instruments: [foreign_agent_law]", "instruments: [foreign_agents]", 1
    )
    make_kb(tmp_path)
    (tmp_path / "events" / "events.yaml").write_text(text, encoding="utf-8")
    problems = problems_of(tmp_path)
    assert ":5:" in only(problems, "unknown actor 'USA:DAE'")
    assert ":7:" in only(problems, "unknown instrument 'foreign_agents'")


def test_invalid_cameo_code(tmp_path: Path) -> None:
    make_kb(tmp_path)
    text = EVENTS.replace('cameo: "172"', 'cameo: "999"', 1)
    (tmp_path / "events" / "events.yaml").write_text(text, encoding="utf-8")
    assert ":6:" in only(problems_of(tmp_path), "'999' is not a CAMEO event code")


def test_cameo_code_that_lost_its_leading_zero_gets_a_hint(tmp_path: Path) -> None:
    make_kb(tmp_path)
    text = EVENTS.replace('cameo: "172"', 'cameo: "43"', 1)
    (tmp_path / "events" / "events.yaml").write_text(text, encoding="utf-8")
    assert "did you mean '043'" in only(problems_of(tmp_path), "'43'")


def test_missing_source(tmp_path: Path) -> None:
    text = EVENTS.replace(
        "  sources:\n    - url: https://example.org/law\n      title: Law passed\n", ""
    )
    make_kb(tmp_path)
    (tmp_path / "events" / "events.yaml").write_text(text, encoding="utf-8")
    assert ":1:" in only(problems_of(tmp_path), "sources: required field is missing")


def test_duplicate_event_id_names_the_first_definition(tmp_path: Path) -> None:
    make_kb(tmp_path, {"events/more.yaml": EVENTS.split("\n\n")[0] + "\n"})
    p = only(problems_of(tmp_path), "duplicate event id '2020-12-15-law-passed'")
    assert "more.yaml:1:" in p and "first defined at" in p


def test_overlapping_states(tmp_path: Path) -> None:
    extra = "    - state: repealed\n      from: 2020-06-01\n"
    make_kb(tmp_path, {"instruments.yaml": instruments_yaml(extra)})
    p = only(problems_of(tmp_path), "overlaps")
    assert "instruments.yaml:" in p and "'repealed'" in p


def test_gap_between_states(tmp_path: Path) -> None:
    text = instruments_yaml().replace(
        "      from: 2020-12-18\n", "      from: 2020-12-18\n      to: 2021-01-01\n", 1
    )
    make_kb(tmp_path)
    (tmp_path / "instruments.yaml").write_text(text, encoding="utf-8")
    assert "gap between 'in_force'" in only(problems_of(tmp_path), "gap")


def test_dangling_evidence_and_missing_instrument(tmp_path: Path) -> None:
    text = instruments_yaml().replace("[2021-01-14-guidelines]", "[2021-01-14-guidelinez]")
    text = text.replace("- id: mlat\n", "- id: mlat_typo\n")
    make_kb(tmp_path)
    (tmp_path / "instruments.yaml").write_text(text, encoding="utf-8")
    problems = problems_of(tmp_path)
    assert only(problems, "evidence '2021-01-14-guidelinez' is not an event id")
    assert only(problems, "instrument 'mlat' has no state timeline")


def test_bad_indicator_rows(tmp_path: Path) -> None:
    rows = OBSERVATIONS + (
        'deaths,2020,1,persons,"United States, calendar year",v2,2022-01-01,'
        "https://example.org,T,yes,\n"
        'deaths,FY2020,1,deaths,"United States, calendar year",v3,2022-01-01,'
        "https://example.org,T,yes,\n"
        'deaths,2020,93655,deaths,"United States, calendar year",provisional,2021-07-15,'
        "https://example.org,T,yes,\n"
        'nope,2020,1,deaths,"United States, calendar year",v,2022-01-01,https://example.org,T,yes,\n'
        'deaths,2022,1,deaths,"United States, calendar year",v,2021-01-01,https://example.org,T,yes,\n'
        "deaths,2023,not a number\n"
    )
    make_kb(tmp_path, {"indicators/deaths.csv": rows})
    problems = problems_of(tmp_path)
    assert ":5:" in only(problems, "unit 'persons' is not the series unit")
    assert ":6:" in only(problems, "does not fit frequency year")
    assert ":7:" in only(problems, "vintage 'provisional' given twice")
    assert ":8:" in only(problems, "unknown series 'nope'")
    assert ":9:" in only(problems, "before the period begins")
    assert ":10:" in only(problems, "expected 11 fields")


def test_indicator_csv_with_a_wrong_header(tmp_path: Path) -> None:
    make_kb(tmp_path, {"indicators/deaths.csv": "indicator,year,value\ndeaths,2020,1\n"})
    assert "deaths.csv:1:" in only(problems_of(tmp_path), "header")


def test_every_problem_is_reported_in_one_run(tmp_path: Path) -> None:
    text = EVENTS.replace('cameo: "172"', 'cameo: "999"').replace("USA:DEA", "USA:NOPE")
    make_kb(tmp_path)
    (tmp_path / "events" / "events.yaml").write_text(text, encoding="utf-8")
    problems = problems_of(tmp_path)
    assert sum("not a CAMEO event code" in p for p in problems) == 2
    assert sum("unknown actor" in p for p in problems) == 2


def test_cli_validate_exits_non_zero_with_file_and_line(tmp_path: Path) -> None:
    make_kb(tmp_path)
    text = EVENTS.replace('cameo: "172"', 'cameo: "999"', 1)
    (tmp_path / "events" / "events.yaml").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["kb", "validate", "--root", str(tmp_path)])
    assert result.exit_code == 1
    assert "events.yaml:6: error:" in result.output
    ok = CliRunner().invoke(cli, ["kb", "validate", "--root", str(make_kb(tmp_path / "ok"))])
    assert ok.exit_code == 0, ok.output


def test_the_real_knowledge_base_validates() -> None:
    kb = load()
    problems = errors(validate(kb))
    assert problems == [], "\n".join(str(p) for p in problems)
    assert len(kb.events) >= 250
    assert {i.record.id for i in kb.instruments} >= set(INSTRUMENT_IDS)
    assert all(e.record.sources for e in kb.events)
    assert min(e.record.date for e in kb.events).year <= 1990
    ids = {e.record.id for e in kb.events}
    assert {"1985-02-07-camarena-kidnapping", "1990-04-02-alvarez-machain-abduction"} <= ids


def test_the_real_indicator_series_keep_units_and_scopes_apart() -> None:
    kb = load()
    series = {s.record.id: s.record for s in kb.series}
    assert len(series) >= 40
    for o in kb.observations:
        s = series[o.record.indicator]
        assert (o.record.unit, o.record.scope) == (s.unit, s.scope)
    wanted = {
        "us_overdose_deaths_all",
        "us_overdose_deaths_synthetic_opioids",
        "cbp_fentanyl_seized_nationwide",
        "cbp_fentanyl_seized_southwest_border",
        "cbp_ofo_fentanyl_seized_ports_of_entry",
        "mexico_homicides_inegi",
        "mexico_homicide_victims_sesnsp",
        "merida_appropriation_mexico",
        "extraditions_mexico_to_us",
        "dea_agents_in_mexico_reported",
    }
    assert wanted <= set(series)


def test_cli_stats_counts_the_real_knowledge_base() -> None:
    result = CliRunner().invoke(cli, ["kb", "stats", "--json"])
    assert result.exit_code == 0, result.output
    assert '"events": ' in result.output and '"instruments": 14' in result.output


def test_broken_yaml_in_a_generated_file_is_not_fatal_for_the_others(tmp_path: Path) -> None:
    make_kb(tmp_path)
    (tmp_path / "events" / "zz-broken.yaml").write_text(
        textwrap.dedent(
            """\
            - id: x
              date: 2020-01-01
             bad indentation: here
            """
        ),
        encoding="utf-8",
    )
    kb = load(tmp_path)
    assert len(kb.events) == 2
    assert only([str(p) for p in kb.problems], "zz-broken.yaml:")


def test_certification_ids_match_their_year_and_missing_anchors_warn(tmp_path: Path) -> None:
    text = EVENTS.replace("2021-01-14-guidelines", "cert-2020", 1)
    make_kb(tmp_path)
    (tmp_path / "events" / "events.yaml").write_text(text, encoding="utf-8")
    problems = validate(load(tmp_path))
    assert ":17:" in only([str(p) for p in errors(problems)], "cert-YYYY")
    warnings = [str(p) for p in problems if p.severity == "warning"]
    assert only(warnings, "anchor event '1985-02-07-camarena-kidnapping' is missing")


def test_an_event_without_relation_effect_is_an_error(tmp_path: Path) -> None:
    text = EVENTS.replace(
        "  relation_effect: -6\n"
        "  effect_rationale: A law restricting the partner's agents curtails cooperation.\n",
        "",
    )
    make_kb(tmp_path, {"events/events.yaml": text})
    p = only(problems_of(tmp_path), "no relation_effect")
    assert "events.yaml:1:" in p and "2020-12-15-law-passed" in p


def test_an_event_without_effect_rationale_is_an_error(tmp_path: Path) -> None:
    text = EVENTS.replace(
        "  effect_rationale: Guidelines putting the restrictions into practice.\n", ""
    )
    make_kb(tmp_path, {"events/events.yaml": text})
    p = only(problems_of(tmp_path), "has no effect_rationale")
    assert "events.yaml:31:" in p and "2021-01-14-guidelines" in p


def test_an_unknown_episode_is_an_error(tmp_path: Path) -> None:
    text = EVENTS.replace("  verified: true\n", "  verified: true\n  episode: no-such-affair\n", 1)
    make_kb(tmp_path, {"events/events.yaml": text})
    p = only(problems_of(tmp_path), "unknown episode 'no-such-affair'")
    assert "events.yaml:14:" in p


@pytest.mark.parametrize("value", ["11", "-10.5"])
def test_an_effect_outside_the_scale_is_an_error(tmp_path: Path, value: str) -> None:
    text = EVENTS.replace("  relation_effect: -6\n", f"  relation_effect: {value}\n", 1)
    make_kb(tmp_path, {"events/events.yaml": text})
    p = only(problems_of(tmp_path), "relation_effect")
    assert "events.yaml:14:" in p


def test_an_indicator_row_from_memory_is_refused(tmp_path: Path) -> None:
    rows = OBSERVATIONS + (
        'deaths,2022,109680,deaths,"United States, calendar year",final,2023-12-01,'
        "https://example.org/f,Final,no,value from memory; not shown on the page\n"
        'deaths,2019,70630,deaths,"United States, calendar year",final,2020-12-01,'
        'https://example.org/f,"Final — count From Memory",yes,\n'
    )
    make_kb(tmp_path, {"indicators/deaths.csv": rows})
    problems = [p for p in problems_of(tmp_path) if "from memory" in p]
    assert len(problems) == 2
    assert ":5:" in problems[0] and "deaths 2022: the note says" in problems[0]
    assert ":6:" in problems[1] and "deaths 2019: the source_title says" in problems[1]
