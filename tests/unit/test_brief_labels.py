"""The label registry: every code of the knowledge base has words, in every language."""

from __future__ import annotations

import re
import string
from datetime import date

import pytest

from dyadwatch.analyse.index import NAMED
from dyadwatch.analyse.index.spec import MEASURES
from dyadwatch.errors import UsageError
from dyadwatch.knowledge.loader import load
from dyadwatch.normalise.relation import BASES
from dyadwatch.normalise.scope import STATE_SECTORS
from dyadwatch.policy.rules import load_rules
from dyadwatch.present.labels import LANGS, check_lang, humanise, labels, registry

pytestmark = pytest.mark.unit


def entry(category: str, *path: str) -> dict[str, str]:
    node = registry()[category]
    for key in path:
        node = node[key]
    assert isinstance(node, dict)
    return node


def test_every_instrument_and_every_state_of_the_knowledge_base_has_a_label() -> None:
    kb = load()
    missing = []
    for inst in kb.instruments:
        r = inst.record
        if set(registry()["instruments"].get(r.id, {})) != set(LANGS):
            missing.append(r.id)
        states = {s.state for s in r.states} | set(r.vocabulary or {})
        for state in sorted(states):
            found = registry()["states"].get(r.id, {}).get(state, {})
            if set(found) != set(LANGS):
                missing.append(f"{r.id}.{state}")
    assert not missing, f"add these to dyadwatch/present/labels.yaml: {missing}"


def test_every_series_unit_measure_sector_and_basis_has_a_label() -> None:
    kb = load()
    codes = {
        "series": [s.record.id for s in kb.series] + list(NAMED),
        "units": sorted({s.record.unit for s in kb.series}),
        "measures": list(MEASURES),
        "sectors": sorted(STATE_SECTORS),
        "effect_bases": list(BASES),
    }
    missing = [
        f"{category}.{code}"
        for category, names in codes.items()
        for code in names
        if set(registry()[category].get(code, {})) != set(LANGS)
    ]
    assert not missing, f"add these to dyadwatch/present/labels.yaml: {missing}"


def test_every_default_rule_and_definition_reads_in_spanish() -> None:
    rules = load_rules()
    missing = [r.id for r in rules.rules if "es" not in registry()["rules"].get(r.id, {})]
    assert not missing
    names = {n for r in rules.rules for n in r.definitions}
    for name in sorted(names):
        for key in ("holds", "fails", "unknown"):
            assert set(entry("conditions", name, key)) == set(LANGS), f"{name}.{key}"


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def test_every_sentence_exists_in_both_languages_with_the_same_placeholders() -> None:
    for key, value in registry()["text"].items():
        assert set(value) == set(LANGS), key
        assert _fields(value["en"]) == _fields(value["es"]), key


def test_every_entry_is_a_pair_of_non_empty_strings() -> None:
    def walk(node: object, path: str) -> None:
        assert isinstance(node, dict), path
        if set(node) & set(LANGS):
            for lang, text in node.items():
                assert lang in LANGS and isinstance(text, str) and text.strip(), path
            return
        for key, child in node.items():
            walk(child, f"{path}.{key}")

    for category, node in registry().items():
        walk(node, category)


def test_labels_in_each_language() -> None:
    en, es = labels("en"), labels("es")
    assert en.state("dialogue", "frozen") == "frozen"
    assert es.state("dialogue", "frozen") == "congelados"
    assert es.instrument("foreign_agent_law") == "Ley mexicana sobre agentes extranjeros"
    assert en.rule("keep_indicting", "Keep indicting") == "Keep indicting"
    assert es.rule("keep_indicting", "Keep indicting").startswith("Seguir investigando")
    assert en.status("met", "repair") == "taken" and es.status("met") == "aplica"
    assert en.pair("USA-MEX") == "United States–Mexico"
    assert es.pair("USA-MEX") == "Estados Unidos–México"
    assert en.period("2021-01", "month") == "January 2021"
    assert es.period("2021-01", "month") == "enero de 2021"
    assert es.day(date(2021, 1, 19)) == "19 de enero de 2021"
    assert en.effect(-7.0) == "curtails cooperation" and en.effect(0.0) == "no direct effect"
    assert en.effect(-9) == "rupture" and en.effect(8) == "founds or renews cooperation"
    assert en.signed(-1.071) == "−1.07" and en.number(12) == "twelve"


def test_a_code_nobody_labelled_still_reads_as_words() -> None:
    lab = labels("en")
    assert lab.state("dialogue", "brand_new_state") == "brand new state"
    assert lab.instrument("new_instrument") == "new instrument"
    assert lab.condition("new_definition", True) == "“new definition” holds"
    assert not re.search(r"[a-z]_[a-z]", lab.series("some_new_series"))
    assert humanise(None) == ""


def test_an_unknown_language_is_a_usage_error_naming_the_choices() -> None:
    with pytest.raises(UsageError, match="Languages: en, es"):
        check_lang("fr")
    with pytest.raises(UsageError):
        labels("fr")
