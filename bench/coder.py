"""Benchmark the shipped text coder against a TF-IDF + linear SVM trained in this run.

    python bench/coder.py [--data ../shared/data] [--workers 2]

Every score is on examples the coder's training never saw (dyadwatch.coding.gold: 20 % of
each set held out by a hash of its text; InSight Crime's dev split; the PLOVER GSR, which is
evaluation-only and whose sentences were removed from every training set). The baseline is
trained on exactly the same training sides. Sets:

- CAMEO five-class (ConfliBERT ``cameo_class``, held-out 20 %): macro-F1 of the penta class;
- InSight Crime (dev split): example-based F1 of the seven labels;
- PLOVER GSR (all 322 records): macro-F1 of the PLOVER event type;
- Spanish (held-out 20 % of the three UniversalPetrarch files): event F1, micro over
  (sentence, PLOVER type) pairs;
- actors (ConfliBERT ``cameo_ner``, held-out 20 %): span F1 of source/target/both spans;
- calibration: expected calibration error (15 bins) of the penta and PLOVER confidences;
- speed: sentences per second per core (CPU time of the process) for the whole coder —
  sentence split, actors, tagger, heads, events — and for the baseline's classifier alone.

The last line is ``penta_macro_f1=X baseline=Y sents_per_s=Z``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import itertools  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402

from dyadwatch.coding import Coder, Document  # noqa: E402
from dyadwatch.coding.features import bag, tokens  # noqa: E402
from dyadwatch.coding.gold import load_all  # noqa: E402
from dyadwatch.coding.tagger import actor_spans, spans_of  # noqa: E402
from dyadwatch.coding.train import (  # noqa: E402
    Baseline,
    BaselineMultilabel,
    BaselineTagger,
    dictionary_of,
    ner_tokens,
    plover_label,
    tagger_rows,
    training_sets,
)


def ece(conf: np.ndarray, correct: np.ndarray, bins: int = 15) -> float:
    """Expected calibration error: |accuracy − confidence| averaged over equal-width bins."""
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in itertools.pairwise(edges):
        mask = (conf > lo) & (conf <= hi)
        if mask.any():
            total += mask.mean() * abs(correct[mask].mean() - conf[mask].mean())
    return float(total)


def example_f1(pred: np.ndarray, gold: np.ndarray) -> float:
    scores = []
    for p, g in zip(pred.astype(bool), gold.astype(bool), strict=True):
        if not p.any() and not g.any():
            scores.append(1.0)
        else:
            scores.append(2 * (p & g).sum() / (p.sum() + g.sum()))
    return float(np.mean(scores))


def micro_f1(pred: list[set[str]], gold: list[set[str]]) -> float:
    tp = sum(len(p & g) for p, g in zip(pred, gold, strict=True))
    npred = sum(len(p) for p in pred)
    ngold = sum(len(g) for g in gold)
    return 2 * tp / (npred + ngold) if npred + ngold else 0.0


def span_f1(pred: list[set[tuple[str, int, int]]], gold: list[set[tuple[str, int, int]]]) -> float:
    return micro_f1(pred, gold)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--workers", type=int, default=1, help="also time coding on N processes")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    coder = Coder.load()
    sets = load_all(args.data)
    train = training_sets(args.data)
    held = {k: [e for e in v if e.split == "heldout"] for k, v in sets.items()}
    lex = coder.lexicon
    print(f"coder {coder.version}")
    rows: list[tuple[str, float, float, int]] = []

    # CAMEO five-class
    tr, te = train["cameo_class"], held["cameo_class"]
    gold = [str(e.penta) for e in te]
    probs = coder.penta.proba([bag(tokens(e.text), lex) for e in te])
    ours = [coder.penta.classes[i] for i in probs.argmax(1)]
    base = (
        Baseline()
        .fit([e.text for e in tr], [str(e.penta) for e in tr])
        .predict([e.text for e in te])
    )
    penta_ours = f1_score(gold, ours, average="macro")
    penta_base = f1_score(gold, base, average="macro")
    rows.append(
        ("CAMEO five-class macro-F1 (cameo_class held-out)", penta_ours, penta_base, len(te))
    )
    penta_ece = ece(probs.max(1), np.array(ours) == np.array(gold))

    # InSight Crime
    tr, te = train["insight_train"], held["insight_dev"]
    Y = np.array([e.labels for e in te])
    p = coder.insight.proba([bag(tokens(e.text[:20000]), None, chars=False) for e in te])  # type: ignore[union-attr]
    ours_ml = (p >= np.array(coder.insight.thresholds)).astype(int)  # type: ignore[union-attr]
    base_ml = (
        BaselineMultilabel()
        .fit([e.text for e in tr], np.array([e.labels for e in tr]))
        .predict([e.text for e in te])
    )
    rows.append(
        ("InSight Crime example-F1 (dev)", example_f1(ours_ml, Y), example_f1(base_ml, Y), len(te))
    )

    # PLOVER GSR
    ptrain = [e for e in train["ngec"] + train["spanish"] + train["petrarch"] if plover_label(e)]
    pbase = Baseline().fit([e.text for e in ptrain], [str(plover_label(e)) for e in ptrain])
    gsr = held["plover_gsr"]
    gold = [str(e.plover) for e in gsr]
    pp = coder.plover_head.proba([bag(tokens(e.text), lex) for e in gsr])
    ours = [coder.plover_head.classes[i] for i in pp.argmax(1)]
    labels = sorted(set(gold))
    rows.append(
        (
            "PLOVER GSR event-type macro-F1",
            f1_score(gold, ours, labels=labels, average="macro"),
            f1_score(gold, pbase.predict([e.text for e in gsr]), labels=labels, average="macro"),
            len(gsr),
        )
    )
    plover_ece = ece(pp.max(1), np.array(ours) == np.array(gold))

    # Spanish events
    es = [e for e in held["spanish"] if plover_label(e) or e.events]
    gold_sets = [set(e.events) or {str(plover_label(e))} for e in es]
    # The same sentence appears in two files: score each distinct text once, with all its codes.
    merged: dict[str, set[str]] = {}
    for e, g in zip(es, gold_sets, strict=True):
        merged.setdefault(e.text, set()).update(g)
    texts = sorted(merged)
    gold_sets = [merged[t] for t in texts]
    sp = coder.plover_head.proba([bag(tokens(t), lex) for t in texts])
    ours_sets = [{coder.plover_head.classes[i]} for i in sp.argmax(1)]
    base_sets = [{p} for p in pbase.predict(texts)]
    rows.append(
        (
            "Spanish event F1 (PLOVER type, held-out)",
            micro_f1(ours_sets, gold_sets),
            micro_f1(base_sets, gold_sets),
            len(texts),
        )
    )

    # Actors
    actors = dictionary_of(coder.artefact.tables)  # type: ignore[arg-type]
    ner_te = held["cameo_ner"]
    gold_spans = [set(spans_of(list(e.tags or ()))) for e in ner_te]
    ours_spans, raw_spans = [], []
    for e in ner_te:
        toks = ner_tokens(e)
        tags = coder.tag(toks)
        found = coder.actors.matches(toks)
        raw_spans.append(set(spans_of(tags)))
        # The coder's own reading of the tags: runs with one role, widened over dictionary names.
        ours_spans.append(set(coder._widen(actor_spans(tags, [t.norm for t in toks]), found)))
    tb, tt, _ = tagger_rows(train["cameo_ner"], lex, actors, context=False)
    btag = BaselineTagger().fit(tb, tt)
    base_spans = []
    for e in ner_te:
        bb, _, _ = tagger_rows([e], lex, actors, context=False)
        base_spans.append(set(spans_of(btag.predict(bb))))
    rows.append(
        (
            "actor span F1 (cameo_ner held-out)",
            span_f1(ours_spans, gold_spans),
            span_f1(base_spans, gold_spans),
            len(ner_te),
        )
    )
    rows.append(
        (
            "  same, tags read as plain BIO",
            span_f1(raw_spans, gold_spans),
            span_f1(base_spans, gold_spans),
            len(ner_te),
        )
    )

    # Speed: the whole coder, one process, CPU time.
    sentences = [e.text for e in held["cameo_class"] + held["spanish"] + held["cameo_ner"]]
    sentences = [s for s in sentences if s.strip()]
    while len(sentences) < 3000:
        sentences = sentences + sentences
    docs = [Document(f"s{i}", s, "bench") for i, s in enumerate(sentences)]
    coder.throughput.sentences = 0
    coder.throughput.seconds = 0.0
    events = sum(len(d.events) for d in coder.code_documents(docs))
    ours_speed = coder.throughput.per_core
    t0 = time.process_time()
    for i in range(0, len(sentences), 64):
        pbase.predict(sentences[i : i + 64])
    base_speed = len(sentences) / (time.process_time() - t0)
    rows.append(("sentences/s per core", ours_speed, base_speed, len(sentences)))

    width = max(len(r[0]) for r in rows)
    print(f"{'set':<{width}}  {'coder':>9}  {'baseline':>9}  {'n':>6}")
    for name, a, b, n in rows:
        fmt = "{:>9,.0f}" if "per core" in name else "{:>9.3f}"
        print(f"{name:<{width}}  {fmt.format(a)}  {fmt.format(b)}  {n:>6}")
    print(
        f"expected calibration error: penta {penta_ece:.3f} (cameo_class held-out), "
        f"PLOVER {plover_ece:.3f} (GSR)"
    )
    print(f"events found in the speed run: {events} in {len(sentences)} sentences")
    if args.workers > 1:
        coder.throughput.sentences = 0
        coder.throughput.seconds = 0.0
        wall = time.perf_counter()
        list(coder.code_documents(docs, workers=args.workers))
        wall = time.perf_counter() - wall
        print(
            f"{args.workers} workers: {coder.throughput.per_core:,.0f} sentences/s per core, "
            f"{len(sentences) / wall:,.0f} sentences/s wall"
        )
    print(f"bench time {time.perf_counter() - started:.1f} s")
    print(f"penta_macro_f1={penta_ours:.3f} baseline={penta_base:.3f} sents_per_s={ours_speed:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
