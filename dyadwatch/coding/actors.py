"""Actors: who did what to whom, as CAMEO country and sector (agent) codes.

Three tables, looked up longest match first:

- **institutions and people** of the United States and Mexico in English and Spanish
  (``data/actors_usmx.tsv``, hand-made: SRE, FGR/PGR, SEDENA, SEMAR, Guardia Nacional, SSPC,
  UIF; DEA, DOJ, State, DHS, CBP, Treasury …), plus the US and Mexican entries of the
  Phoenix country dictionary (``Phoenix.Countries.actors.txt``) with their validity
  intervals — a minister is a minister only while in office;
- **country names** and adjectives of every country (Phoenix country dictionary);
- **agents**, the sector words (Phoenix ``Phoenix.agents.txt`` and the Spanish rows of
  ``actors_usmx.tsv``): ``police`` → ``COP``, ``ejército`` → ``MIL``.

The Phoenix tables are parsed by ``tools/train_coder.py`` and ship inside the trained artefact;
the dictionary files themselves stay in ``../shared/data``.

An actor span that matches nothing is kept as its text with no country and no sector: the
coder never guesses a sector.

Examples
--------
>>> d = ActorDictionary.from_rows([("sedena", "MEXMIL", "", "", "SEDENA")], {}, {})
>>> d.resolve(Token.split("La SEDENA informó"), 0, 3).code
'MEXMIL'
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

from dyadwatch.coding.features import fold

_WORD = re.compile(r"\w+(?:[.'’]\w+)*\.?|[^\w\s]", re.UNICODE)
_ALNUM = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, slots=True)
class Token:
    """A token of the original text with its character span and folded form."""

    text: str
    start: int
    end: int
    norm: str

    @staticmethod
    def split(text: str) -> list[Token]:
        """Tokens with offsets; ``U.S.`` and ``EE.UU.`` stay one token each.

        >>> [t.norm for t in Token.split("U.S. and México's police")]
        ['us', 'and', 'mexicos', 'police']
        """
        out = []
        for m in _WORD.finditer(text):
            norm = "".join(_ALNUM.findall(fold(m.group())))
            out.append(Token(m.group(), m.start(), m.end(), norm or m.group()))
        return out


@dataclass(frozen=True, slots=True)
class Entry:
    """One dictionary phrase and what it stands for."""

    phrase: tuple[str, ...]
    code: str
    name: str
    start: date | None = None
    end: date | None = None
    exact_case: bool = False
    """Short acronyms (``US``, ``SRE``) match only in capitals, so ``us`` is not the USA."""

    @property
    def country(self) -> str | None:
        return self.code[:3] if len(self.code) >= 3 and not self.code.startswith("~") else None

    @property
    def agent(self) -> str | None:
        body = self.code[1:] if self.code.startswith("~") else self.code[3:]
        return body[:3] or None

    def valid_on(self, day: date | None) -> bool:
        if day is None:
            return True  # no date: every reading of the name is possible; the first wins
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)


@dataclass(frozen=True, slots=True)
class ResolvedActor:
    """An actor as the coder reports it."""

    text: str
    start: int
    end: int
    code: str | None
    country: str | None
    agent: str | None
    name: str | None = None


def _phrase(text: str) -> tuple[str, ...]:
    return tuple(
        t
        for t in ("".join(_ALNUM.findall(fold(w))) for w in re.split(r"[\s_]+", text.strip()))
        if t
    )


def _is_acronym(text: str) -> bool:
    letters = re.sub(r"[^A-Za-z]", "", text)
    return len(letters) <= 4 and letters.isupper() and " " not in text.strip()


class ActorDictionary:
    """Longest-match lookup of actor phrases in a token sequence."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        # Phrases of two or more words are found by their first two words, single words by
        # themselves: a common first word ("the", "el") then costs one look-up, not hundreds.
        by_pair: dict[tuple[str, str], list[Entry]] = {}
        by_word: dict[str, list[Entry]] = {}
        for e in entries:
            if len(e.phrase) >= 2:
                by_pair.setdefault((e.phrase[0], e.phrase[1]), []).append(e)
            elif e.phrase:
                by_word.setdefault(e.phrase[0], []).append(e)
        for bucket in [*by_pair.values(), *by_word.values()]:
            bucket.sort(key=lambda e: (-len(e.phrase), e.code))
        self._by_pair = by_pair
        self._by_word = by_word
        self.size = sum(len(b) for b in [*by_pair.values(), *by_word.values()])

    @classmethod
    def from_rows(
        cls,
        institutions: Iterable[tuple[str, str, str, str, str]],
        countries: Mapping[str, str],
        agents: Mapping[str, str],
    ) -> ActorDictionary:
        """Build from ``(phrase, code, start, end, name)`` rows and two phrase → code tables."""
        entries: list[Entry] = []
        for phrase, code, start, end, name in institutions:
            entries.append(
                Entry(
                    _phrase(phrase),
                    code,
                    name or phrase,
                    date.fromisoformat(start) if start else None,
                    date.fromisoformat(end) if end else None,
                    exact_case=_is_acronym(phrase),
                )
            )
        for phrase, code in countries.items():
            entries.append(Entry(_phrase(phrase), code, phrase, exact_case=_is_acronym(phrase)))
        for phrase, code in agents.items():
            entries.append(Entry(_phrase(phrase), code, phrase))
        return cls(entries)

    def matches(
        self, toks: Sequence[Token], day: date | None = None
    ) -> list[tuple[int, int, Entry]]:
        """Non-overlapping ``(start, end, entry)`` token matches, longest first, left to right."""
        out = []
        i = 0
        n = len(toks)
        while i < n:
            found = None
            pair = self._by_pair.get((toks[i].norm, toks[i + 1].norm)) if i + 1 < n else None
            for bucket in (pair, self._by_word.get(toks[i].norm)):
                if not bucket:
                    continue
                for e in bucket:
                    k = len(e.phrase)
                    if i + k > n or not e.valid_on(day):
                        continue
                    if all(toks[i + j].norm == e.phrase[j] for j in range(2, k)):
                        if e.exact_case and not toks[i].text.replace(".", "").isupper():
                            continue
                        found = e
                        break
                if found is not None:
                    break
            if found is not None:
                out.append((i, i + len(found.phrase), found))
                i += len(found.phrase)
            else:
                i += 1
        return out

    def resolve(
        self, toks: Sequence[Token], start: int, end: int, day: date | None = None
    ) -> ResolvedActor:
        """The actor named by tokens ``start:end``, with country and sector where known."""
        span = toks[start:end]
        text = "" if not span else _text_between(span)
        country = agent = name = None
        for _, _, e in self.matches(span, day):
            if e.code.startswith("~"):
                agent = agent or e.agent
                continue
            if country is None:
                country = e.country
                name = e.name
                if e.agent:
                    agent = agent or e.agent
            elif agent is None and e.agent and e.country == country:
                agent, name = e.agent, e.name  # "US" + "Secretary of State"
        if country and agent:
            code: str | None = country + agent
        else:
            code = country or None
        return ResolvedActor(
            text=text,
            start=span[0].start if span else 0,
            end=span[-1].end if span else 0,
            code=code,
            country=country,
            agent=agent,
            name=name,
        )


def _text_between(span: Sequence[Token]) -> str:
    parts = [span[0].text]
    for prev, tok in itertools.pairwise(span):
        parts.append(" " * (tok.start > prev.end) + tok.text)
    return "".join(parts)


# --- Parsing the Phoenix dictionaries (training time) ----------------------------------------

_CODE_RE = re.compile(r"\[([A-Z~]{3,}[A-Z]*)\s*([<>]?\d{6})?(?:-(\d{6}))?\]")


def _yymmdd(text: str) -> date:
    yy, mm, dd = int(text[:2]), int(text[2:4]), int(text[4:6])
    year = 1900 + yy if yy >= 40 else 2000 + yy
    return date(year, max(mm, 1), max(dd, 1))


def parse_phoenix_countries(
    path: Path, keep: tuple[str, ...] = ("USA", "MEX")
) -> tuple[dict[str, str], list[tuple[str, str, str, str, str]]]:
    """Country names (every country) and the dated actor rows of the ``keep`` countries.

    Returns ``({name: country code}, [(phrase, code, start, end, name), …])``. An entry is a
    name line with ``+`` synonyms and one or more ``[CODE yymmdd-yymmdd]`` lines; a bare
    three-letter code marks a country name.
    """
    countries: dict[str, str] = {}
    rows: list[tuple[str, str, str, str, str]] = []
    names: list[str] = []
    codes: list[tuple[str, str, str]] = []

    def flush() -> None:
        if not names or not codes:
            return
        for code, start, end in codes:
            if len(code) == 3 and not start and not end:
                for n in names:
                    countries.setdefault(n, code)
            elif code[:3] in keep:
                for n in names:
                    rows.append((n, code, start, end, names[0]))

    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if line[0].isalpha() or line[0] == "+":
            body = _CODE_RE.sub("", line).strip()
            if line[0] != "+":
                flush()
                names, codes = [], []
            name = body.lstrip("+").strip().rstrip("_").replace("_", " ").strip()
            if name and "\ufffd" not in name:
                names.append(name)
        for m in _CODE_RE.finditer(line):
            code, when, until = m.group(1), m.group(2) or "", m.group(3) or ""
            start = end = ""
            if when.startswith(">"):
                start = _yymmdd(when[1:]).isoformat()
            elif when.startswith("<"):
                end = _yymmdd(when[1:]).isoformat()
            elif when and until:
                start, end = _yymmdd(when).isoformat(), _yymmdd(until).isoformat()
            codes.append((code, start, end))
    flush()
    return countries, rows


def parse_phoenix_agents(path: Path) -> dict[str, str]:
    """Agent words → ``~SECTOR`` from ``Phoenix.agents.txt`` (``!PERSON!`` macros expanded)."""
    macros: dict[str, list[str]] = {}
    agents: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw.split("#", 1)[0].strip()
        macro = re.match(r"^(!\w+!)\s*=\s*(.+)$", line)
        if macro:
            macros[macro.group(1)] = [w.strip() for w in macro.group(2).split(",") if w.strip()]
            continue
        m = re.match(r"^([^\[\]&+]+?)\s*\[(~[A-Z]{3,})\]", re.sub(r"\{[^}]*\}", "", line))
        if not m:
            continue
        phrase, code = m.group(1).strip(), m.group(2)
        variants = [phrase]
        for name, words in macros.items():
            if name in phrase:
                variants = [v.replace(name, "_" + w) for v in variants for w in words]
        for v in variants:
            text = v.replace("_", " ").strip().lower()
            if text and "!" not in text:
                agents.setdefault(text, code[:4])
    return agents


def usmx_rows() -> list[tuple[str, str, str, str, str]]:
    """The hand-made US/Mexico rows: ``(phrase, code, start, end, name)``."""
    text = resources.files("dyadwatch.coding").joinpath("data/actors_usmx.tsv").read_text("utf-8")
    rows = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        parts = ([*line.split("\t"), "", "", "", ""])[:5]
        phrase, code, start, end, name = (p.strip() for p in parts)
        rows.append((phrase, code, start, end, name))
    return rows
