"""The default rule set on the embedded store (the curated knowledge base): golden findings as of
the essay's moment and a recent date, point-in-time safety through a real ingest, the backtest
against what happened, and the CLI."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dyadwatch import pipeline
from dyadwatch.model import Actor, Event
from dyadwatch.policy.rules import RuleData, RuleSet, backtest, evaluate, load_rules
from dyadwatch.policy.rules.index_series import read_series
from dyadwatch.present.cli.main import main
from dyadwatch.settings import Settings
from dyadwatch.sources.memory import MemorySource
from dyadwatch.store import Store

pytestmark = pytest.mark.sample

ESSAY = date(2021, 1, 31)
RECENT = date(2026, 3, 1)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    from dyadwatch.pipeline import ingest
    from dyadwatch.sources import get_source

    path = tmp_path_factory.mktemp("rules") / "store"
    store = Store.open(path, create=True)
    source = get_source("curated", Settings(store=path))
    summary = ingest(source, source.discover(), store)
    assert summary.ok, summary.describe()
    return store


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    rs = load_rules()
    assert rs.problems == ()
    return rs


# Why each status is right, as of 2021-01-31 (twelve days after the essay):
# - merida_suspend: Mérida still funded ("active_contested_by_mexico" since May 2019), the
#   relationship series in the bottom fifth of its ten years and Mexican acts of conflict
#   towards the US in six months (foreign-agent law, Cienfuegos file).
# - treatment_funding_conditional, stop_returning_suspects, keep_indicting: no improvement; the
#   dialogue was frozen on 2021-01-15, so there are no lasting structures.
# - vetted_units_no_exemptions: the foreign-agent law is in force with its guidelines.
# - foreign_agent_law_monitor: in force, and eight conflictual events about it in two years.
# - central_america_wary: no improvement, and the Cienfuegos case was dropped (Nov 2020).
# - cannabis_imports_bar: the Senate passed legalisation in Nov 2020; no improvement.
# - terrorist_designation_ready, decertification_ready: "if the sabotage persists" - the
#   sabotage holds, and whether it has persisted depends on the relationship six months earlier
#   (July 2020), which the index may or may not put in its bottom fifth: the test checks the
#   status against that value instead of pinning it (SERIES_DEPENDENT).
# - middle_layer_targeting: no middle-layer doctrine; 36,476 homicides (2019, preliminary, the
#   latest INEGI figure public then) >= 30,000.
# - repair_resume_dialogues: not taken - the dialogue instrument is "frozen".
# - repair_vetted_units: not taken - the foreign-agent law is in force and Mexico acted
#   against US agents (seven conflictual events in twelve months).
# - repair_joint_fentanyl_strategy: not taken - only the 2016 high-level group exists.
GOLDEN_ESSAY = {
    "merida_suspend": "met",
    "treatment_funding_conditional": "met",
    "vetted_units_no_exemptions": "met",
    "foreign_agent_law_monitor": "met",
    "stop_returning_suspects": "met",
    "keep_indicting": "met",
    "central_america_wary": "met",
    "cannabis_imports_bar": "met",
    "terrorist_designation_ready": "?",
    "decertification_ready": "?",
    "middle_layer_targeting": "met",
    "repair_resume_dialogues": "not_met",
    "repair_vetted_units": "not_met",
    "repair_joint_fentanyl_strategy": "not_met",
}

# As of 2026-03-01:
# - merida_suspend: not met - the relationship is not in the bottom fifth of its ten years.
# - treatment_funding_conditional: not met - assistance is not flowing: frozen since January
#   2025 (INL programmes in Mexico halted), with selective waivers.
# - stop_returning_suspects, keep_indicting: still no "meaningful improvement": the Security
#   Implementation Group (Sept 2025) has held under a year (179 days).
# - vetted_units_no_exemptions: the foreign-agent law is still in force.
# - foreign_agent_law_monitor: three conflictual events about the law or the units in two years.
# - central_america_wary: not met - no senior case dropped within two years.
# - cannabis_imports_bar: legalisation remains on the table (Supreme Court 2021); no improvement.
# - terrorist_designation_ready, decertification_ready: not met - no persistent sabotage; the
#   designation is in force anyway.
# - middle_layer_targeting: high-value targeting with US military pressure; 33,550 homicides.
# - repair_resume_dialogues: taken - an active dialogue with Mexican participation in the year.
# - repair_vetted_units: not taken - the SSPC unit was disbanded, the law is in force.
# - repair_joint_fentanyl_strategy: not taken - the 2025 programme excludes US agents from
#   operations.
GOLDEN_RECENT = {
    **GOLDEN_ESSAY,
    "merida_suspend": "not_met",
    "treatment_funding_conditional": "not_met",
    "central_america_wary": "not_met",
    "terrorist_designation_ready": "not_met",
    "decertification_ready": "not_met",
    "repair_resume_dialogues": "met",
}


def test_the_default_rule_set_covers_every_recommendation_and_repair(rules: RuleSet) -> None:
    assert {r.id for r in rules} == set(GOLDEN_ESSAY)
    assert sum(r.kind == "repair" for r in rules) == 3
    for r in rules:
        assert r.recommendation and "Felbab-Brown" in r.citation and "2021" in r.citation
        assert r.file.endswith("default.yaml") and r.line


SERIES_DEPENDENT = ("terrorist_designation_ready", "decertification_ready")


def test_golden_findings_as_of_the_essay(store: Store, rules: RuleSet) -> None:
    findings = {f.rule_id: f for f in evaluate(store, rules, ESSAY)}
    statuses = {k: f.status for k, f in findings.items()}
    for rid in SERIES_DEPENDENT:
        m = findings[rid].metrics
        persisted = m['series.percentile(name="relationship", history=10y, lag=6m)'] <= 20
        assert statuses.pop(rid) == ("met" if persisted else "not_met"), findings[rid].reason
    assert statuses == {k: v for k, v in GOLDEN_ESSAY.items() if k not in SERIES_DEPENDENT}
    sab = findings["terrorist_designation_ready"].metrics
    # the essay's moment: the relationship at the bottom of its decade, Mexico acting against it
    assert sab["sabotage"] is True
    assert sab['series.percentile(name="relationship", history=10y)'] <= 20
    assert sab['events.count(actor1="MEX", actor2="USA", quad=[3, 4], window=6m)'] >= 1
    assert sab["lever_in_use"] is False
    assert all(f.reason.startswith(("met:", "not met:")) for f in findings.values())
    dialogue = findings["repair_resume_dialogues"].metrics
    assert dialogue['instrument.state("dialogue")'] == "frozen"
    homicides = findings["middle_layer_targeting"].metrics
    assert homicides['indicator.value("mexico_homicides_inegi")'] == 36476


def test_golden_findings_recently(store: Store, rules: RuleSet) -> None:
    findings = {f.rule_id: f for f in evaluate(store, rules, RECENT)}
    assert {k: f.status for k, f in findings.items()} == {
        **GOLDEN_RECENT,
        "terrorist_designation_ready": "not_met",
        "decertification_ready": "not_met",
    }
    assert findings["terrorist_designation_ready"].metrics["lever_in_use"] is True
    assert findings["keep_indicting"].metrics['instrument.held_for("dialogue")'] == "179d"
    assert findings["merida_suspend"].metrics["lever_in_use"] is True  # the 2025 aid freeze


def test_a_repair_met_beside_until_things_improve_advice_is_explained(
    store: Store, rules: RuleSet
) -> None:
    findings = {f.rule_id: f for f in evaluate(store, rules, RECENT)}
    assert findings["repair_resume_dialogues"].status == "met"
    assert findings["stop_returning_suspects"].status == "met"
    assert "Not a contradiction" in findings["stop_returning_suspects"].explanation
    assert "lasting_structures" in findings["stop_returning_suspects"].explanation
    assert "Not a contradiction" in findings["repair_resume_dialogues"].explanation
    # first among the evidence, so the brief and the dashboard show it with the finding
    assert findings["stop_returning_suspects"].evidence[0].ref.startswith("why-both:")


def test_silence_after_the_last_event_is_unknown_not_not_met(store: Store, rules: RuleSet) -> None:
    late = date(2026, 11, 30)  # the curated record ends in February 2026
    findings = {f.rule_id: f for f in evaluate(store, rules, late)}
    assert findings["repair_resume_dialogues"].status == "unknown"
    assert "no evidence since 2026-02" in findings["repair_resume_dialogues"].reason
    assert findings["merida_suspend"].status == "unknown"


def test_repairs_are_unknown_before_the_essay_asked_for_them(store: Store, rules: RuleSet) -> None:
    findings = {f.rule_id: f for f in evaluate(store, rules, date(2018, 6, 30))}
    for rid in ("repair_resume_dialogues", "repair_vetted_units", "repair_joint_fentanyl_strategy"):
        assert findings[rid].status == "unknown"
        assert "not yet asked for" in findings[rid].reason


def test_findings_carry_sourced_evidence_and_a_plain_explanation(
    store: Store, rules: RuleSet
) -> None:
    for f in evaluate(store, rules, ESSAY):
        assert f.explanation.startswith("As of 2021-01-31, the condition of")
        assert "Felbab-Brown" in f.explanation
        assert f.evidence, f.rule_id
        sourced = [e for e in f.evidence if e.kind in ("event", "instrument_state")]
        # An event shows the pages public by the date; when every page the record cites
        # came out later (a 2022 account of the 1997 vetted units), it says so instead.
        assert sourced, f.rule_id
        for e in sourced:
            if e.kind == "event":
                assert e.urls or "was published after 2021-01-31" in e.text, (f.rule_id, e)
        assert all(e.date is None or e.date <= ESSAY for e in f.evidence)


def test_loaded_data_and_store_paths_agree(store: Store, rules: RuleSet) -> None:
    everything = RuleData.load(store)  # includes what became public after the date
    for d in (ESSAY, RECENT):
        assert evaluate(everything, rules, d) == evaluate(store, rules, d)


def test_series_value_is_the_named_series_of_the_index(store: Store) -> None:
    t = read_series(store, "relationship", ESSAY)
    row = t.filter(pc.equal(t["period"], "2021-01")).to_pylist()[0]
    from dyadwatch.policy.rules.loader import Rule, compile_expression

    r = Rule("x", "x", compile_expression("series.value() > -20", {}))
    (f,) = evaluate(store, [r], ESSAY)
    assert f.metrics["series.value()"] == pytest.approx(row["value"])


def eod(d: date) -> datetime:
    return datetime.combine(d, time.max, tzinfo=UTC)


@st.composite
def later_events(draw: st.DrawFn) -> list[Event]:
    us = Actor(code="USA:DOJ", country="USA", agent_type="JUD")
    mx = Actor(code="MEX:SRE", country="MEX", agent_type="GOV")
    out = []
    for i in range(draw(st.integers(1, 6))):
        known = ESSAY + timedelta(days=draw(st.integers(1, 1500)))
        a1, a2 = draw(st.sampled_from([(us, mx), (mx, us)]))
        out.append(
            Event(
                source="memory",
                source_key=f"later{i}",
                event_date=known - timedelta(days=draw(st.integers(0, 400))),
                known_at=eod(known),
                actor1=a1,
                actor2=a2,
                cameo_code=draw(st.sampled_from(["112", "172", "040", "063"])),
                instruments=tuple(
                    draw(st.lists(st.sampled_from(["dialogue", "indictments", "extradition"])))
                ),
                summary="an event made public after the as-of date",
            )
        )
    return out


@pytest.mark.slow
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(extra=later_events())
def test_ingesting_events_public_after_d_never_changes_findings_as_of_d(
    store: Store,
    rules,
    tmp_path_factory: pytest.TempPathFactory,
    extra: list[Event],
) -> None:
    before = evaluate(store, rules, ESSAY)
    copy = tmp_path_factory.mktemp("later") / "store"
    shutil.copytree(store.root, copy)
    other = Store.open(copy)
    src = MemorySource()
    src.add("later", extra)
    summary = pipeline.ingest(src, src.discover(), other)
    assert summary.ok, summary.describe()
    assert evaluate(other, rules, ESSAY) == before
    assert evaluate(RuleData.load(other), rules, ESSAY) == before


def test_backtest_sets_the_advice_against_what_happened(store: Store, rules: RuleSet) -> None:
    bt = backtest(store, rules, date(2018, 1, 1), date(2026, 3, 1))
    h = {x.rule_id: x for x in bt.histories}
    assert len(h["merida_suspend"].months) == 99
    designation = h["terrorist_designation_ready"]
    # the January 2025 executive order, then the February 2025 designation
    assert designation.first_used == date(2025, 1, 31)
    assert (date(2025, 2, 20), "designated") in designation.lever_changes
    assert designation.first_met is None or "month(s) after" in designation.verdict()
    decert = h["decertification_ready"]
    # Issue 13: the FY2024 determination (Sept 2023) did not find that Mexico had failed
    # demonstrably; no determination in the range did, so the lever was never used.
    assert decert.first_used is None and decert.lever_spells == []
    assert not any(state.startswith("listed_failed") for _, state in decert.lever_changes)
    assert "was not used in the range" in decert.verdict()
    # Issue 13: the January 2025 aid freeze halted the INL programmes in Mexico; it became
    # public in February, so the Mérida lever is first in use as of February 2025.
    merida = h["merida_suspend"]
    assert (date(2025, 1, 24), "assistance_frozen") in merida.lever_changes
    assert merida.first_used == date(2025, 2, 28)
    assert h["repair_joint_fentanyl_strategy"].first_met == date(2022, 1, 31)
    assert h["middle_layer_targeting"].first_used is None


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_rules_json_explain_and_backtest(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    s = ["--store", str(store.root)]
    code, out, err = run(capsys, "rules", "--as-of", "2021-01-31", "--json", *s)
    assert code == 0, err
    data = json.loads(out)
    got = {f["rule_id"]: f["status"] for f in data["findings"]}
    assert {k: v for k, v in got.items() if k not in SERIES_DEPENDENT} == {
        k: v for k, v in GOLDEN_ESSAY.items() if k not in SERIES_DEPENDENT
    }
    assert all(f["reason"] for f in data["findings"])
    code, out, _ = run(capsys, "rules", "--as-of", "2021-01-31", *s)
    assert code == 0 and " 0 unknown" in out
    code, out, _ = run(capsys, "rules", "explain", "keep_indicting", "--as-of", "2021-01-31", *s)
    assert code == 0 and "status as of 2021-01-31: met" in out and "https://" in out
    code, _, err = run(capsys, "rules", "explain", "keep_indictin", *s)
    assert code == 1 and "Did you mean keep_indicting?" in err
    code, out, _ = run(capsys, "backtest", "--from", "2020-01", "--to", "2021-12", "--csv", *s)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["rule_id"] for r in rows} == set(GOLDEN_ESSAY)
    by_id = {r["rule_id"]: r for r in rows}
    assert by_id["keep_indicting"]["first_met"] == "2020-01-31"
    code, out, _ = run(
        capsys, "backtest", "--from", "2021-01", "--to", "2021-02", "--json", "--monthly", *s
    )
    assert code == 0 and len(json.loads(out)["monthly"]) == 2 * len(GOLDEN_ESSAY)


def test_cli_bad_rule_file_reports_and_still_runs_the_rest(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "mine.yaml"
    f.write_text(
        "rules:\n"
        "  - id: good\n"
        "    title: Good\n"
        '    condition: \'instrument.state("dialogue") == "frozen"\'\n'
        "  - id: bad\n"
        "    title: Bad\n"
        "    condition: 'series.valeu() > 0'\n"
    )
    code, out, err = run(
        capsys,
        "rules",
        "--rules",
        str(f),
        "--as-of",
        "2021-01-31",
        "--json",
        "--store",
        str(store.root),
    )
    assert code == 1
    assert "mine.yaml:7: rule bad: condition: unknown metric 'series.valeu'" in err
    assert "Did you mean series.value?" in err
    assert [x["status"] for x in json.loads(out)["findings"]] == ["met"]


def test_rules_of_two_dyads_each_read_their_own(store: Store) -> None:
    from dyadwatch.policy.rules.loader import Rule, compile_expression

    cond = compile_expression("events.count(window=12m) >= 1", {})
    mex = Rule("mex", "m", cond)
    can = Rule("can", "c", cond, dyad="USA-CAN")
    f_mex, f_can = evaluate(store, [mex, can], ESSAY)
    assert (f_mex.status, f_can.status) == ("met", "unknown")  # no USA-CAN record at all


@pytest.mark.slow
def test_over_2007_2026_no_rule_is_flagged_without_a_reason_and_levers_have_effects(
    store: Store, rules: RuleSet
) -> None:
    """Issue 13, done when: the report flags no default rule whose file does not explain why
    its condition is structural, and every lever with enough distinct changes has an
    event-study effect with its interval (one backtest serves both)."""
    from dyadwatch.policy.rules.backtest import outcome_rows
    from dyadwatch.policy.rules.outcomes import MIN_CHANGES
    from dyadwatch.policy.rules.report import row_of

    bt = backtest(store, rules, date(2007, 1, 1), date(2026, 11, 1), outcomes=True)
    by_id = {r.id: r for r in rules}
    rows = [row_of(h, by_id[h.rule_id]) for h in bt.histories]
    assert [r.id for r in rows if r.flag and not r.structural] == []
    assert all(r.share_met is not None for r in rows)
    enough = 0
    for o in outcome_rows(bt.summary()):
        index = next(s for s in o["studies"] if s["measure"] == "index:relationship")
        if len(o["distinct_changes"]) < MIN_CHANGES:
            assert o["status"] == "insufficient_data" and "insufficient data" in o["reason"]
            continue
        enough += 1
        for e in index["effects"]:
            if e["status"] == "ok":
                assert e["lo"] <= e["effect"] <= e["hi"] and e["level"] == 0.9
    assert enough >= 3
