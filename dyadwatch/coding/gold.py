"""Readers for the coding gold and silver sets, and the one split every tool uses.

The sets live outside the package (``../shared/data/coding_gold``; each folder's
PROVENANCE.md says what it is). ``tools/train_coder.py`` and ``bench/coder.py`` read them
through these functions, so training and evaluation see the same examples and the same split.

The split is fixed by content, not by file order: :func:`split_of` hashes a sentence's
normalised text, so a sentence that appears in two sets (the Spanish CAMEO and PLOVER
validation files share sentences; the ConfliBERT class and NER files share sentences) falls on
the same side in both. Sets with a split of their own keep it (InSight Crime train/dev), and
the PLOVER gold-standard records are evaluation-only: no training example whose text is also
a PLOVER GSR sentence is kept (:func:`drop_overlap`).

Examples
--------
>>> split_of("Arnor restored ties with Gondor.") in ("train", "heldout")
True
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Split = Literal["train", "heldout"]

HELDOUT_BUCKETS = 2
"""Of ten hash buckets, this many are held out: 20 % of every set without its own split."""

ROOT_PENTA: dict[str, int] = {
    "01": 0,
    "02": 0,
    "03": 1,
    "04": 1,
    "05": 1,
    "06": 2,
    "07": 2,
    "08": 2,
    "09": 3,
    "10": 3,
    "11": 3,
    "12": 3,
    "13": 3,
    "14": 4,
    "15": 4,
    "16": 3,
    "17": 4,
    "18": 4,
    "19": 4,
    "20": 4,
}
"""CAMEO root → penta class (0 statement, 1 verbal cooperation, 2 material cooperation,
3 verbal conflict, 4 material conflict): the TwoRavens ``actionlookup_rootcode_pentaclass``
table (../shared/data/cameo/tworavens_actionlookup_rootcode_pentaclass.csv)."""

PENTA_NAMES = (
    "statement",
    "verbal cooperation",
    "material cooperation",
    "verbal conflict",
    "material conflict",
)

PLOVER_OLD_NAMES = {
    "DEMAND": "REQUEST",
    "DISAPPROVE": "ACCUSE",
    "FIGHT": "ASSAULT",
    "INVESTIGATE": "ACCUSE",
    "SACTION": "SANCTION",
}
"""PLOVER 0.5 names in the PLOVER GSR and the Spanish PLOVER file → PLOVER 0.8 (the
crosswalk's), and one misspelling (SACTION). INVESTIGATE became a mode of ACCUSE
(CAMEO 09 → ACCUSE, mode ``investigate``)."""


@dataclass(slots=True)
class Example:
    """One labelled text. Labels a set does not give are None."""

    dataset: str
    text: str
    lang: str = "en"
    penta: int | None = None
    cameo: str | None = None
    plover: str | None = None
    labels: tuple[int, ...] | None = None
    """Multi-label targets (InSight Crime: seven 0/1 columns)."""
    tokens: tuple[str, ...] | None = None
    tags: tuple[str, ...] | None = None
    """Token tags: ``B-S``/``I-S`` source, ``B-T``/``I-T`` target, ``B-R``/``I-R`` both, ``O``."""
    actors: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Gold actor texts by role (``source``/``target``) where a set gives them."""
    events: tuple[str, ...] = ()
    """All PLOVER types coded in the text (Spanish event F1), in order."""
    split: Split | None = None


def normalise_text(text: str) -> str:
    """Lower case, accents removed, only letters and digits: the key of the split."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return re.sub(r"[^a-z0-9]+", "", "".join(c for c in decomposed if c.isascii()))


def split_of(text: str) -> Split:
    """``train`` or ``heldout``, fixed by a hash of the normalised text (20 % held out)."""
    digest = hashlib.sha256(normalise_text(text).encode()).digest()
    return "heldout" if digest[0] % 10 < HELDOUT_BUCKETS else "train"


def penta_of_root(root: str | None) -> int | None:
    return ROOT_PENTA.get(root) if root else None


def cameo_root(code: str | None) -> str | None:
    """The two-digit root of a CAMEO code as the gold sets write it (``140_Engage…``, ``18/19``)."""
    if not code:
        return None
    digits = re.match(r"\s*(\d+)", code)
    if not digits:
        return None
    value = digits.group(1)
    if len(value) == 2 and value in ROOT_PENTA:
        return value
    if (len(value) >= 3 and value.startswith("0")) or len(value) >= 3:
        root = value[:2]
    else:
        root = value.zfill(2)
    return root if root in ROOT_PENTA else None


def full_code(code: str | None) -> str | None:
    """The CAMEO code digits (``0311``) of ``0311_Express_intent…``; None without digits."""
    if not code:
        return None
    digits = re.match(r"\s*(\d+)", code)
    return digits.group(1) if digits else None


# --- ConfliBERT ---------------------------------------------------------------------------


def conflibert_class(root: Path) -> list[Example]:
    """ConfliBERT CAMEO five-class train split (``sentence<TAB>label``), labels 0–4."""
    out = []
    path = root / "coding_gold/conflibert/cameo_class_train.tsv"
    for line in path.read_text(encoding="utf-8").splitlines():
        text, _, label = line.rpartition("\t")
        if text.strip() and label.strip().isdigit():
            ex = Example("cameo_class", text.strip(), penta=int(label))
            ex.split = split_of(ex.text)
            out.append(ex)
    return out


def conflibert_ner(root: Path) -> list[Example]:
    """ConfliBERT CAMEO NER train split: CoNLL ``token TAG`` with S/T/R actor tags."""
    out: list[Example] = []
    tokens: list[str] = []
    tags: list[str] = []
    path = root / "coding_gold/conflibert/cameo_ner_train.txt"

    def flush() -> None:
        if tokens:
            text = " ".join(tokens)
            ex = Example("cameo_ner", text, tokens=tuple(tokens), tags=tuple(tags))
            ex.split = split_of(_detok(tokens))
            out.append(ex)
        tokens.clear()
        tags.clear()

    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            flush()
            continue
        token, _, tag = line.rpartition(" ")
        tokens.append(token or tag)
        tags.append(tag if token else "O")
    flush()
    return out


def _detok(tokens: Iterable[str]) -> str:
    """Tokens back to a sentence close enough for the split hash (which ignores spacing)."""
    return " ".join(tokens)


def insight_crime(root: Path, part: str) -> list[Example]:
    """InSight Crime articles (``train`` or ``dev``) with their seven 0/1 labels."""
    path = root / f"coding_gold/conflibert/insightCrime_{part}.tsv"
    out = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh, delimiter="\t"):
            if len(row) < 8 or not row[0].strip():
                continue
            labels = tuple(int(x) for x in row[1:8])
            ex = Example("insight_crime", row[0].strip(), labels=labels)
            ex.split = "train" if part == "train" else "heldout"
            out.append(ex)
    return out


# --- PLOVER GSR ---------------------------------------------------------------------------


def plover_gsr(root: Path) -> list[Example]:
    """PLOVER gold-standard records (CAMEO manual examples re-coded in PLOVER): evaluation only."""
    records = json.loads((root / "coding_gold/plover_gsr/PLOVER_GSR_CAMEO.json").read_text())
    out = []
    for rec in records:
        if not isinstance(rec, dict) or not rec.get("event") or not rec.get("text"):
            continue
        if rec["event"] == "DOCUMENT":
            continue
        event = PLOVER_OLD_NAMES.get(rec["event"], rec["event"])
        actors = {
            role: tuple(a["actorText"] for a in rec.get(role) or [] if isinstance(a, dict))
            for role in ("source", "target")
        }
        ex = Example("plover_gsr", rec["text"].strip(), plover=event, actors=actors)
        ex.events = (str(event),)
        ex.split = "heldout"
        out.append(ex)
    return out


# --- NGEC synthetic stories ----------------------------------------------------------------


def ngec_synthetic(root: Path) -> list[Example]:
    """GPT-written stories labelled with a PLOVER type (silver; the first 600 characters)."""
    path = root / "coding_gold/ngec/NGEC_gpt_synthetic_events_2023-10-19_19.csv.zip"
    out = []
    with zipfile.ZipFile(path) as zf:
        name = zf.namelist()[0]
        with zf.open(name) as raw:
            reader = csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8"))
            for row in reader:
                text = (row.get("text") or "").strip()
                label = (row.get("label") or "").strip()
                label = PLOVER_OLD_NAMES.get(label, label)
                if not text or not label:
                    continue
                # The story's lead: the first sentences carry the event; the rest is colour.
                lead = " ".join(_sentences(text)[:2])
                ex = Example("ngec", lead, plover=label)
                ex.split = split_of(lead)
                out.append(ex)
    return out


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z\"'])", text.strip()) if s]


# --- PETRARCH unit tests -------------------------------------------------------------------

_SENTENCE_RE = re.compile(r"<Sentence\b(?P<attrs>[^>]*)>(?P<body>.*?)</Sentence>", re.S)
_ATTR_RE = re.compile(r'(\w+)\s*=\s*"([^"]*)"')


def _attrs(text: str) -> dict[str, str]:
    return dict(_ATTR_RE.findall(text))


def _text_of(body: str) -> str:
    match = re.search(r"<Text>(.*?)</Text>", body, re.S)
    return " ".join(match.group(1).split()) if match else ""


def petrarch_unit_tests(root: Path) -> list[Example]:
    """PETRARCH unit-test records: the first coded event's CAMEO code per sentence."""
    raw = (root / "coding_gold/petrarch/PETR.UnitTest.records.xml").read_text(encoding="utf-8")
    out = []
    for match in _SENTENCE_RE.finditer(raw):
        body = match.group("body")
        text = _text_of(body)
        codes = [
            _attrs(m)["eventcode"]
            for m in re.findall(r"<EventCoding\b([^>]*)>", body)
            if _attrs(m).get("eventcode")
        ]
        roots = [r for r in (cameo_root(c) for c in codes) if r]
        if not text or not roots:
            continue
        ex = Example("petrarch", text, cameo=full_code(codes[0]), penta=ROOT_PENTA[roots[0]])
        ex.split = split_of(text)
        out.append(ex)
    return out


# --- Spanish validation --------------------------------------------------------------------


def spanish(root: Path) -> list[Example]:
    """The three Spanish validation files, one example per sentence with all its codings.

    CAMEO codes (``140_Engage…``, ``18/19/20``) give the root and, through the crosswalk the
    caller supplies later, the PLOVER type; the PLOVER file's ``plover`` attribute is kept.
    """
    files = (
        "spanish_validation_1018_noaccent.xml",
        "spanish_protest_plover_validation.xml",
        "spanish_fight_reduced_181227v2_validation.xml",
    )
    out = []
    for name in files:
        raw = (root / "coding_gold/spanish" / name).read_text(encoding="utf-8")
        for match in _SENTENCE_RE.finditer(raw.replace('evaluate="true"/>', 'evaluate="true">')):
            body = match.group("body")
            text = _text_of(body)
            if "|" in text[:60] and re.match(r"\d{8}\s", text):
                text = text.split("|", 1)[1].strip()
            codings = [_attrs(m) for m in re.findall(r"<EventCoding\b([^>]*)/?>", body)]
            codes = [c.get("eventcode", "") for c in codings]
            plovers = [c.get("plover", "") for c in codings]
            roots = [cameo_root(c) for c in codes]
            first_root = next((r for r in roots if r), None)
            if not text or not first_root:
                continue
            texts = [_attrs(m) for m in re.findall(r"<EventText\b([^>]*)/?>", body)]
            actors = {
                "source": tuple(t["sourcetext"] for t in texts if t.get("sourcetext")),
                "target": tuple(t["targettext"] for t in texts if t.get("targettext")),
            }
            code = full_code(next(c for c, r in zip(codes, roots, strict=True) if r))
            if code and "/" in next(c for c in codes if cameo_root(c)):
                code = None
            ex = Example(
                f"spanish:{name.split('_')[1]}",
                text,
                lang="es",
                cameo=code if code and len(code) >= 2 else None,
                penta=ROOT_PENTA[first_root],
                plover=next((p for p in plovers if p), None),
                actors=actors,
            )
            ex.plover = PLOVER_OLD_NAMES.get(ex.plover, ex.plover) if ex.plover else None
            ex.events = tuple(PLOVER_OLD_NAMES.get(p, p) for p in plovers if p)
            ex.split = split_of(text)
            out.append(ex)
    return out


# --- Overlap ---------------------------------------------------------------------------------


def drop_overlap(train: Iterable[Example], evaluation: Iterable[Example]) -> list[Example]:
    """The training examples whose normalised text is not also an evaluation text.

    PLOVER GSR sentences are CAMEO-manual examples, and other sets quote the same manual; a
    sentence seen in training would make the evaluation score a memory test.
    """
    seen = {normalise_text(e.text) for e in evaluation}
    return [e for e in train if normalise_text(e.text) not in seen]


def load_all(root: Path) -> dict[str, list[Example]]:
    """Every set by name. ``root`` is the shared data folder (``../shared/data``)."""
    sets = {
        "cameo_class": conflibert_class(root),
        "cameo_ner": conflibert_ner(root),
        "insight_train": insight_crime(root, "train"),
        "insight_dev": insight_crime(root, "dev"),
        "plover_gsr": plover_gsr(root),
        "ngec": ngec_synthetic(root),
        "petrarch": petrarch_unit_tests(root),
        "spanish": spanish(root),
    }
    return sets


def source_files(root: Path) -> list[Path]:
    """The files :func:`load_all` reads (their digests go into the training manifest)."""
    gold = root / "coding_gold"
    names = [
        "conflibert/cameo_class_train.tsv",
        "conflibert/cameo_ner_train.txt",
        "conflibert/insightCrime_train.tsv",
        "conflibert/insightCrime_dev.tsv",
        "plover_gsr/PLOVER_GSR_CAMEO.json",
        "ngec/NGEC_gpt_synthetic_events_2023-10-19_19.csv.zip",
        "petrarch/PETR.UnitTest.records.xml",
        "spanish/spanish_validation_1018_noaccent.xml",
        "spanish/spanish_protest_plover_validation.xml",
        "spanish/spanish_fight_reduced_181227v2_validation.xml",
    ]
    return [gold / n for n in names]


def iter_split(examples: Iterable[Example], split: Split) -> Iterator[Example]:
    return (e for e in examples if e.split == split)
