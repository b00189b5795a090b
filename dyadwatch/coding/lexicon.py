"""Verb cues: which words point to which CAMEO code, in English and Spanish.

English cues come from the PETRARCH-2 verb dictionary (``CAMEO.2.0.txt``, MIT, in
``../shared/data/coding_dictionaries/petrarch2``): :func:`parse_petrarch_verbs` turns its
verb blocks and patterns into ``{word form: code}`` and ``{(word form, object word): code}``
tables at training time, and the tables ship inside the trained artefact (not the dictionary
file). Spanish cues are a short hand-made list (``data/cues_es.tsv``): the verbs of
security news between the two governments, each with the CAMEO code of its usual sense.

A cue is evidence, not a verdict: the classifier reads cues as features next to the words,
and the coder takes a cue's full code only when it agrees with the classifier's root.

Examples
--------
>>> lex = Lexicon(verbs={"extradite": "063"}, patterns={})
>>> lex.cues(["mexico", "extradited", "him"])
[(1, '063')]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

_HEADER = re.compile(r"^---\s+(\S+)\s+\[([^\]]*)\]\s+---")
_CODE = re.compile(r"\[(\d{2,4})(?::\d+)?\]")


def inflections(word: str) -> set[str]:
    """Regular English forms of a verb (``arrest`` → ``arrests``, ``arrested``, ``arresting``).

    >>> sorted(inflections("agree"))
    ['agree', 'agreed', 'agreeing', 'agrees']
    >>> sorted(inflections("deny"))
    ['denied', 'denies', 'deny', 'denying']
    """
    forms = {word}
    if word.endswith("e"):
        forms |= {
            word + "s",
            word + "d",
            word + "ing" if word.endswith("ee") else word[:-1] + "ing",
        }
    elif word.endswith("y") and len(word) > 2 and word[-2] not in "aeiou":
        forms |= {word[:-1] + "ies", word[:-1] + "ied", word + "ing"}
    elif word.endswith(("s", "sh", "ch", "x", "z")):
        forms |= {word + "es", word + "ed", word + "ing"}
    else:
        forms |= {word + "s", word + "ed", word + "ing"}
    return forms


def _words(text: str) -> list[str]:
    return [w.strip("+_").replace("_", " ").lower() for w in text.split() if w.strip("+_")]


def parse_petrarch_verbs(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Verb forms → CAMEO code, and ``"verb object"`` → code, from ``CAMEO.2.0.txt``.

    Block heads and synonym lines give single-word verbs (multi-word synonyms are skipped:
    the features see their words anyway); pattern lines ``- * OBJECT [code] # VERB`` give a
    verb with the first plain word after it. Where a form gets two codes, the first wins
    (the dictionary lists a verb's own block before patterns borrowed from others).
    """
    verbs: dict[str, str] = {}
    patterns: dict[str, str] = {}
    block_code: str | None = None
    block_forms: list[str] = []
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw.split("#", 1)[0].rstrip() if not raw.startswith("- ") else raw.rstrip()
        if not line.strip():
            continue
        head = _HEADER.match(line)
        if head:
            code = head.group(2)
            block_code = code if code.isdigit() else None
            block_forms = []
            continue
        if line.startswith(("&", "+")) and block_code is None and not block_forms:
            continue  # synonym-set definitions at the top of the file
        if line.startswith("- "):
            body, _, comment = line[2:].partition("#")
            code_match = _CODE.search(body)
            if not code_match or "*" not in body:
                continue
            after = body.split("*", 1)[1]
            after = _CODE.sub("", after)
            first = re.match(r"\s*\{?\(?([A-Z][A-Z'-]+)", after)
            if not first:
                continue
            obj = first.group(1).lower()
            verb = comment.strip().split()[0].lower() if comment.strip() else None
            forms = inflections(verb) if verb and verb.isalpha() else set(block_forms)
            for form in forms:
                patterns.setdefault(f"{form} {obj}", code_match.group(1))
            continue
        if line.startswith(("&", "+")) or " " in line.split("{")[0].strip().split("[")[0].strip():
            continue
        word = line.split("{")[0].split("[")[0].strip().lower()
        if not word.isalpha():
            continue
        own = _CODE.search(line)
        code = own.group(1) if own else block_code
        irregular = re.search(r"\{([^}]*)\}", line)
        forms = inflections(word)
        if irregular:
            forms |= {w for w in _words(irregular.group(1)) if w.isalpha()}
        block_forms.extend(sorted(forms))
        if code:
            for form in sorted(forms):
                verbs.setdefault(form, code)
    return verbs, patterns


def spanish_cues() -> dict[str, str]:
    """The hand-made Spanish cue list: word form → CAMEO code (``data/cues_es.tsv``)."""
    text = resources.files("dyadwatch.coding").joinpath("data/cues_es.tsv").read_text("utf-8")
    cues: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        code, _, forms = line.partition("\t")
        for form in forms.split(","):
            if form.strip():
                cues.setdefault(form.strip().lower(), code.strip())
    return cues


@dataclass(frozen=True)
class Lexicon:
    """Cue tables: ``verbs`` (form → code) and ``patterns`` (``"form object"`` → code)."""

    verbs: Mapping[str, str]
    patterns: Mapping[str, str]
    window: int = 4
    """How many tokens after a verb its pattern object may stand."""
    _empty: dict[str, str] = field(default_factory=dict, repr=False)

    def cues(self, tokens: Sequence[str]) -> list[tuple[int, str]]:
        """``(token index, CAMEO code)`` for each cue in ``tokens`` (lower case, no accents).

        A pattern (verb and object) is more specific than its verb alone, so it replaces it.
        """
        found: list[tuple[int, str]] = []
        verbs = self.verbs
        patterns = self.patterns
        for i, tok in enumerate(tokens):
            code = verbs.get(tok)
            if code is None:
                continue
            for obj in tokens[i + 1 : i + 1 + self.window]:
                specific = patterns.get(f"{tok} {obj}")
                if specific is not None:
                    code = specific
                    break
            found.append((i, code))
        return found

    def to_json(self) -> dict[str, dict[str, str]]:
        return {
            "verbs": dict(sorted(self.verbs.items())),
            "patterns": dict(sorted(self.patterns.items())),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Mapping[str, str]]) -> Lexicon:
        return cls(verbs=dict(data["verbs"]), patterns=dict(data["patterns"]))


def merge(*tables: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Merge cue tables; the first table to give a form wins."""
    out: dict[str, str] = {}
    for table in tables:
        for form, code in table:
            out.setdefault(form, code)
    return out
