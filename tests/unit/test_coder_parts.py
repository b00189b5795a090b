"""The coder's parts on tiny inputs: features, cues, actors, tags, heads and their files."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from dyadwatch.coding.actors import (
    ActorDictionary,
    Token,
    parse_phoenix_agents,
    parse_phoenix_countries,
)
from dyadwatch.coding.features import Vocabulary, bag, fold, scores, tokens
from dyadwatch.coding.gold import cameo_root, split_of
from dyadwatch.coding.lexicon import Lexicon, parse_petrarch_verbs
from dyadwatch.coding.linear import Artefact, digest
from dyadwatch.coding.tagger import spans_of

pytestmark = pytest.mark.unit

VERBS = """\
# header
---  ARREST   [173]  ---
ARREST
DETAIN {DETAINS DETAINED DETAINING }
- * MILITANT                                          [1731]        # ARREST

---  MEET   [040]  ---
MEET {MEETS MET MEETING}
- * (WITH LEADER)                                     [042]         # MEET
"""

COUNTRIES = """\
MEXICO_  [MEX]
+MEXICAN_
+ESTADOS_UNIDOS_MEXICANOS_

ANDRES_MANUEL_LOPEZ_OBRADOR_  # note
\t[MEXGOV 181201-240930]
"""

AGENTS = """\
!PERSON! = MAN, MEN
POLICE [~COP]
POLICE!PERSON! [~COP]
"""


def test_fold_and_tokens_ignore_accents_and_case() -> None:
    assert fold("DETENCIÓN") == "detencion"
    assert tokens("¡La DETENCIÓN de 'El Chapo'!") == ["la", "detencion", "de", "el", "chapo"]


def test_vocabulary_matches_sublinear_tfidf_and_keeps_a_bias() -> None:
    bags = [Counter({"a": 2, "b": 1}), Counter({"a": 1, "c": 1}), Counter({"b": 1, "c": 3})]
    vocab = Vocabulary.fit(bags, min_df=1)
    data, indices, _indptr = vocab.transform([Counter({"a": 2, "zz": 5})])
    assert indices.tolist() == [vocab.index["a"], 0]
    assert data.tolist() == pytest.approx([1.0, 1.0])  # one known feature, normalised; bias 1
    empty = vocab.transform([Counter()])
    assert empty[1].tolist() == [0] and empty[2].tolist() == [0, 1]
    w = np.zeros((len(vocab), 2), np.float32)
    w[vocab.index["a"], 1] = 3.0
    assert scores(vocab.transform([Counter({"a": 1})]), w).tolist() == [[0.0, 3.0]]


def test_vocabulary_does_not_depend_on_row_order() -> None:
    bags = [Counter({"x": 1, "y": 1}), Counter({"y": 1, "z": 1}), Counter({"x": 1, "z": 1})]
    a = Vocabulary.fit(bags, min_df=1, max_features=2)
    b = Vocabulary.fit(list(reversed(bags)), min_df=1, max_features=2)
    assert a.names == b.names


def test_petrarch_verbs_give_forms_and_patterns(tmp_path: Path) -> None:
    path = tmp_path / "verbs.txt"
    path.write_text(VERBS)
    verbs, patterns = parse_petrarch_verbs(path)
    assert verbs["arrested"] == "173" and verbs["detained"] == "173" and verbs["met"] == "040"
    assert patterns["arrested militant"] == "1731"
    lex = Lexicon(verbs, patterns)
    assert lex.cues(tokens("Police arrested a militant")) == [(1, "1731")]
    assert bag(tokens("they met"), lex)["r:04"] == 1


def test_phoenix_tables_and_dated_actors(tmp_path: Path) -> None:
    (tmp_path / "c.txt").write_text(COUNTRIES)
    (tmp_path / "a.txt").write_text(AGENTS)
    countries, rows = parse_phoenix_countries(tmp_path / "c.txt")
    agents = parse_phoenix_agents(tmp_path / "a.txt")
    assert countries["MEXICAN"] == "MEX"
    assert rows == [
        (
            "ANDRES MANUEL LOPEZ OBRADOR",
            "MEXGOV",
            "2018-12-01",
            "2024-09-30",
            "ANDRES MANUEL LOPEZ OBRADOR",
        )
    ]
    assert agents["police man"] == "~COP"
    d = ActorDictionary.from_rows([*rows, ("SRE", "MEXGOV", "", "", "SRE")], countries, agents)
    toks = Token.split("Mexican police met Andrés Manuel López Obrador")
    assert d.resolve(toks, 0, 2).code == "MEXCOP"
    in_office = d.resolve(toks, 3, 7, date(2020, 1, 1))
    assert in_office.code == "MEXGOV"
    before = d.resolve(toks, 3, 7, date(2010, 1, 1))
    assert (
        before.code is None
        and before.agent is None
        and before.text == "Andrés Manuel López Obrador"
    )
    assert d.matches(Token.split("tell the sre"), None) == []  # acronyms only in capitals
    assert d.matches(Token.split("the SRE said"), None)[0][2].code == "MEXGOV"


def test_bio_spans() -> None:
    assert spans_of(["O", "I-S", "I-S", "B-T", "B-T", "O", "B-R"]) == [
        ("S", 1, 3),
        ("T", 3, 4),
        ("T", 4, 5),
        ("R", 6, 7),
    ]
    assert spans_of([]) == []


def test_gold_helpers() -> None:
    assert cameo_root("140_Engage_in_political_dissent") == "14"
    assert cameo_root("0311_Express") == "03"
    assert cameo_root("18/19/20") == "18"
    assert cameo_root("10") == "10"
    assert cameo_root("") is None
    assert split_of("Hello, World") == split_of("hello world")


def test_tiny_heads_train_save_and_load_byte_for_byte(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    from dyadwatch.coding.train import HeadData, fit_head

    texts = [
        "police arrested rebels",
        "army attacked town",
        "leaders met in talks",
        "ministers signed a deal",
        "police detained men",
        "troops shelled village",
        "presidents held talks",
        "envoys agreed on trade",
    ] * 3
    y = ["4", "4", "1", "1", "4", "4", "1", "1"] * 3
    data = HeadData(
        "penta", [bag(tokens(t), None) for t in texts], y, [i % 3 for i in range(len(y))]
    )
    head, report = fit_head(data, C=10.0, seed=0, min_df=1)
    assert report["examples"] == 24 and 0.2 <= head.temperature <= 5.0
    p = head.proba([bag(tokens("the army shelled the rebels"), None)])
    assert head.classes[int(p.argmax())] == "4"
    art = Artefact({"penta": head}, {"lexicon": {"verbs": {}, "patterns": {}}}, {"seed": 0})
    a, b = tmp_path / "a", tmp_path / "b"
    art.save(a)
    Artefact.load(a).save(b)
    assert digest(a) == digest(b)
    again = Artefact.load(b).heads["penta"]
    assert np.allclose(
        again.proba([bag(tokens("talks"), None)]), head.proba([bag(tokens("talks"), None)])
    )


def test_fast_featurizer_gives_the_rows_of_bag_and_vocabulary() -> None:
    from dyadwatch.coding.features import Featurizer

    lex = Lexicon({"arrested": "173", "met": "040"}, {})
    texts = ["Police arrested the rebels in the town", "Leaders met", "", "arrested arrested"]
    rows = [tokens(t) for t in texts]
    vocab = Vocabulary.fit([bag(r, lex) for r in rows], min_df=1)
    w = np.random.default_rng(0).normal(size=(len(vocab), 3)).astype(np.float32)
    slow = scores(vocab.transform([bag(r, lex) for r in rows]), w)
    fast = scores(Featurizer(vocab, lex).transform(rows), w)
    assert np.allclose(slow, fast, atol=1e-5)
    assert scores(Featurizer(vocab, lex).transform([]), w).shape == (0, 3)
