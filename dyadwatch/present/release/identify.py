"""Which registered copy a forwarded file came from, and how sure that is.

Every mark is weighed (see :mod:`dyadwatch.present.release`): the marking column and the
Parquet metadata (visible, forgeable), and the copy's keyed ids, row order and column order
(hidden: computable only with the store's release key). Rows whose ``event_id`` was removed
or rewritten are found by their public content.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from dyadwatch.errors import UsageError
from dyadwatch.model import DATASETS
from dyadwatch.policy.disclosure import releasable_events, release_register
from dyadwatch.present.release.files import ReleasedFile, as_text, norm, read_file
from dyadwatch.present.release.marks import (
    FIXED_COLUMNS,
    KEY_FILE,
    MARK_COLUMN,
    column_key,
    copy_key,
    keyed_id,
    order_key,
    release_key,
)
from dyadwatch.store import Store

CERTAIN, STRONG, WEAK = -9.0, -4.0, -2.0
"""log10 of the chance that an unrelated copy shows the hidden marks found: at or below
CERTAIN the copy is named as certain (one chance in a billion of a wrong name), STRONG as
strong, WEAK as weak; above WEAK a hidden mark is no evidence."""

_LOG10_ID_SPACE = 128 * math.log10(2)
_CONTENT_FIELDS = (
    "event_date",
    "actor1_code",
    "actor2_code",
    "cameo_code",
    "summary",
    "source_urls",
    "actor1_name",
    "actor2_name",
    "action_name",
)
"""Public fields that find a row's event when its ``event_id`` was removed or rewritten."""


@dataclass(frozen=True, slots=True)
class Signal:
    """One mark found in a file, for one registered copy.

    ``found`` of ``of`` rows (or columns) carry it. ``log10_chance`` is log10 of the chance
    that a file from *another* copy would show as much (0: no such bound; the visible marks
    can be written by anyone, so they carry none).
    """

    mark: str
    copy_id: str
    found: int
    of: int
    log10_chance: float
    hidden: bool

    def describe(self) -> str:
        text = f"{self.mark}: {self.found} of {self.of}"
        if self.hidden:
            text += f" (chance of a wrong match {_chance(self.log10_chance)})"
        return text


@dataclass(frozen=True, slots=True)
class Match:
    """A registered copy a file came from, how that was established and how sure it is."""

    copy_id: str
    recipient: str
    created_at: datetime
    how: str
    confidence: str
    """``certain``, ``strong``, ``weak``, or ``claimed`` (visible marks only: forgeable)."""
    log10_chance: float
    signals: tuple[Signal, ...] = ()

    @property
    def chance_of_error(self) -> str:
        return _chance(self.log10_chance) if self.confidence != "claimed" else "unknown"


@dataclass(frozen=True, slots=True)
class Identification:
    """What :func:`identify` established about a file: matches, conflicts, notes."""

    path: Path
    rows: int
    matches: tuple[Match, ...]
    conflicts: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.matches)

    def rows_out(self) -> list[dict[str, Any]]:
        """One row per match (for ``--json`` / ``--csv`` output)."""
        return [
            {
                "copy_id": m.copy_id,
                "recipient": m.recipient,
                "created_at": m.created_at,
                "confidence": m.confidence,
                "chance_of_error": m.chance_of_error,
                "how": m.how,
                "conflicts": "; ".join(self.conflicts),
            }
            for m in self.matches
        ]


def _chance(log10: float) -> str:
    if log10 <= -30:
        return "< 1e-30"
    if log10 >= 0:
        return "1"
    exponent = math.floor(log10)
    mantissa = 10 ** (log10 - exponent)
    return f"{mantissa:.1f}e{exponent}"


def _log10_increasing_chance(n: int, k: int) -> float:
    """log10 of a bound on P(a random order of n items has an increasing run of k of them).

    The expected number of increasing subsequences of length k is C(n, k) / k!.
    """
    if k < 2 or n < 2:
        return 0.0
    log_c = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
    return min(0.0, (log_c - math.lgamma(k + 1)) / math.log(10))


def _longest_increasing(values: Sequence[bytes]) -> int:
    tails: list[bytes] = []
    for v in values:
        i = bisect_left(tails, v)
        if i == len(tails):
            tails.append(v)
        else:
            tails[i] = v
    return len(tails)


@dataclass(slots=True)
class _Candidates:
    """The events a copy of one (dyad, as_of) was made from, and ways to find them."""

    ids: list[str]
    content: dict[tuple[str, ...], dict[tuple[str, ...], list[str]]] = field(default_factory=dict)
    table: pa.Table | None = None

    def by_content(self, fields: tuple[str, ...]) -> dict[tuple[str, ...], list[str]]:
        if fields not in self.content:
            assert self.table is not None
            columns = {f: self.table.column(f).to_pylist() for f in fields}
            index: dict[tuple[str, ...], list[str]] = {}
            for i, eid in enumerate(self.ids):
                sig = tuple(norm(f, as_text(columns[f][i])) for f in fields)
                index.setdefault(sig, []).append(eid)
            self.content[fields] = index
        return self.content[fields]


def _content_match(
    rows: list[dict[str, str]], todo: list[int], cand: _Candidates, header: list[str]
) -> dict[int, str]:
    """Rows found by their public content, trying field sets from the most specific."""
    present = [f for f in _CONTENT_FIELDS if f in header]
    if not present or not todo:
        return {}
    variants = [tuple(present)]
    for dropped in ("event_date", "cameo_code", "summary"):
        if dropped in present and len(present) > 1:
            variants.append(tuple(f for f in present if f != dropped))
    best: dict[int, str] = {}
    for fields in variants:
        index = cand.by_content(fields)
        found = {}
        for i in todo:
            sig = tuple(norm(f, rows[i].get(f, "")) for f in fields)
            hits = index.get(sig, [])
            if len(hits) == 1 and any(sig):
                found[i] = hits[0]
        if len(found) > len(best):
            best = found
    return best


def identify(store: Store, path: Path) -> Identification:
    """Which registered copies ``path`` (a released CSV or Parquet file) came from.

    Every mark is weighed (module docstring): the marking column and the Parquet metadata
    (visible, forgeable), and the copy's keyed ids, row order and column order (hidden:
    computable only with the store's release key). Rows whose ``event_id`` was removed or
    rewritten are found by their public content. A file re-saved with another delimiter or
    encoding, with rows reordered, removed or added, or with the marking column blanked,
    forged or removed, is still named by what survives; where marks disagree, the
    disagreement is reported as a conflict, and each match says how sure it is.

    Examples
    --------
    >>> found = identify(store, Path("forwarded.csv"))  # doctest: +SKIP
    >>> found.matches[0].recipient, found.matches[0].confidence  # doctest: +SKIP
    ('Partner desk', 'certain')
    """
    path = Path(path)
    data = read_file(path)
    content = [f for f in _CONTENT_FIELDS if f in data.header]
    if MARK_COLUMN not in data.header and "event_id" not in data.header and not content:
        raise UsageError(
            f"{path} has neither a {MARK_COLUMN} column, nor an event_id column, nor any event "
            "field: nothing to identify a copy by."
        )
    copies = {r["copy_id"]: r for r in release_register(store).to_pylist()}
    trace = _Trace(store, data, copies, release_key(store))
    trace.visible_marks()
    trace.keyed_ids()
    trace.plain_ids_and_content()
    trace.orders()
    if trace.key is None and copies:
        trace.notes.append(f"the store has no {KEY_FILE}: only visible marks can be checked")
    return _verdict(path, len(data.rows), copies, trace.signals, trace.conflicts, trace.notes)


class _Trace:
    """What :func:`identify` finds in one file, mark by mark: signals per registered copy,
    conflicts, notes, and which stored event each row is."""

    def __init__(
        self, store: Store, data: ReleasedFile, copies: dict[str, dict[str, Any]], key: bytes | None
    ) -> None:
        self.store, self.data, self.copies, self.key = store, data, copies, key
        self.signals: dict[str, list[Signal]] = {c: [] for c in copies}
        self.conflicts: list[str] = []
        self.notes = list(data.notes)
        self.pools: dict[tuple[str, date], _Candidates] = {}
        self.row_event: dict[int, str] = {}
        self.copy_keys = {c: copy_key(key, c) for c in copies} if key else {}
        header = data.header
        self.file_ids = (
            [r.get("event_id", "").strip().lower() for r in data.rows]
            if "event_id" in header
            else []
        )

    def pool(self, copy: dict[str, Any]) -> _Candidates:
        """The events the copy was made from (as a release of its dyad and day holds them)."""
        where = (copy["dyad"], copy["as_of"])
        if where not in self.pools:
            table, _ = releasable_events(self.store, copy["dyad"], copy["as_of"])
            self.pools[where] = _Candidates(table.column("event_id").to_pylist(), table=table)
        return self.pools[where]

    def visible_marks(self) -> None:
        """The marking column and the Parquet metadata: anyone can write them, so they name a
        copy but prove nothing."""
        rows, data = self.data.rows, self.data
        if MARK_COLUMN in data.header:
            marks = Counter(r.get(MARK_COLUMN, "").strip().lower() for r in rows)
            blank = marks.pop("", 0)
            if blank:
                self.notes.append(f"{blank} of {len(rows)} rows have a blank {MARK_COLUMN}")
            for mark, n in sorted(marks.items()):
                if mark in self.copies:
                    self.signals[mark].append(
                        Signal("marking column", mark, n, len(rows), 0.0, False)
                    )
                else:
                    self.conflicts.append(
                        f"{n} row(s) are marked {mark[:20]!r}, which is no copy in the register "
                        "(a forged or altered marking column)"
                    )
        else:
            self.notes.append(f"the file has no {MARK_COLUMN} column")
        if data.metadata_copy:
            if data.metadata_copy in self.copies:
                self.signals[data.metadata_copy].append(
                    Signal("Parquet metadata", data.metadata_copy, 1, 1, 0.0, False)
                )
            else:
                self.conflicts.append(f"the Parquet metadata names {data.metadata_copy!r}, no copy")

    def keyed_ids(self) -> None:
        """Event ids keyed for a copy (hidden: they need the store's key)."""
        if self.key is None or not self.file_ids:
            return
        with_ids = sum(1 for v in self.file_ids if v)
        for copy_id, copy in self.copies.items():
            cand = self.pool(copy)
            pseudonyms = {keyed_id(self.copy_keys[copy_id], e): e for e in cand.ids}
            hits = [i for i, v in enumerate(self.file_ids) if v in pseudonyms]
            if hits:
                chance = len(hits) * (math.log10(max(len(pseudonyms), 1)) - _LOG10_ID_SPACE)
                self.signals[copy_id].append(
                    Signal("keyed event ids", copy_id, len(hits), with_ids, chance, True)
                )
                for i in hits:
                    self.row_event.setdefault(i, pseudonyms[self.file_ids[i]])

    def plain_ids_and_content(self) -> None:
        """Rows with stored ids, then the rest by their public content."""
        rows, file_ids = self.data.rows, self.file_ids
        if file_ids and self.copies:
            stored = {e for copy in self.copies.values() for e in self.pool(copy).ids}
            plain = [i for i, v in enumerate(file_ids) if v in stored]
            if plain:
                self.notes.append(
                    f"{len(plain)} row(s) carry stored event ids (a copy made before ids were "
                    "keyed, or data from inside the office)"
                )
                for i in plain:
                    self.row_event.setdefault(i, file_ids[i])
        unmatched = [i for i, v in enumerate(file_ids) if v and i not in self.row_event]
        if unmatched:
            self.notes.append(
                f"{len(unmatched)} row(s) have an event_id no copy issued (rewritten, or added)"
            )
        for copy in self.copies.values():
            todo = [i for i in range(len(rows)) if i not in self.row_event]
            self.row_event.update(_content_match(rows, todo, self.pool(copy), self.data.header))
        if len(self.row_event) < len(rows):
            self.notes.append(f"{len(rows) - len(self.row_event)} row(s) match no stored event")

    def orders(self) -> None:
        """The copy's own row order and column order (hidden: they need the store's key)."""
        if self.key is None:
            return
        header = self.data.header
        permuted = [h for h in header if h in DATASETS["events"].names and h not in FIXED_COLUMNS]
        for copy_id, copy in self.copies.items():
            members = set(self.pool(copy).ids)
            seen: set[str] = set()
            sequence = []
            for i in sorted(self.row_event):
                event = self.row_event[i]
                if event in members and event not in seen:
                    seen.add(event)
                    sequence.append(order_key(self.copy_keys[copy_id], event))
            self._order_signal("row order", copy_id, sequence)
            if len(permuted) >= 3:
                ranks = [column_key(self.copy_keys[copy_id], h) for h in permuted]
                self._order_signal("column order", copy_id, ranks)

    def _order_signal(self, mark: str, copy_id: str, keys: list[bytes]) -> None:
        longest = _longest_increasing(keys)
        chance = _log10_increasing_chance(len(keys), longest)
        if chance <= WEAK:
            self.signals[copy_id].append(Signal(mark, copy_id, longest, len(keys), chance, True))


def _verdict(
    path: Path,
    n_rows: int,
    copies: dict[str, dict[str, Any]],
    signals: dict[str, list[Signal]],
    conflicts: list[str],
    notes: list[str],
) -> Identification:
    # With many copies in the register one of them may show a weak mark by chance: the
    # chance of a wrong match is counted over every copy that could have matched.
    tries = math.log10(max(len(copies), 1))
    hidden_score = {
        c: min(0.0, sum(s.log10_chance for s in found if s.hidden) + tries)
        for c, found in signals.items()
    }
    named = sorted((c for c, v in hidden_score.items() if v <= WEAK), key=hidden_score.__getitem__)
    claimed = [c for c, found in signals.items() if found and c not in named]
    matches = []
    for c in named:
        score = hidden_score[c]
        confidence = "certain" if score <= CERTAIN else "strong" if score <= STRONG else "weak"
        matches.append(_match(copies[c], signals[c], confidence, score))
    strong = [c for c in named if hidden_score[c] <= STRONG]
    if len(strong) > 1:
        conflicts.append(
            "hidden marks of more than one copy: "
            + ", ".join(f"{c} ({copies[c]['recipient']})" for c in strong)
            + " — the file combines copies, or was assembled from more than one"
        )
    if named:
        top = named[0]
        for c in claimed:
            visible = ", ".join(s.mark for s in signals[c])
            conflicts.append(
                f"the {visible} names copy {c} ({copies[c]['recipient']}), but the hidden "
                f"marks name {top} ({copies[top]['recipient']}): the visible marking was "
                "rewritten"
            )
        for c in named:
            if not any(not s.hidden for s in signals[c]) and c == top:
                notes.append(f"no visible mark names {c}: it was blanked, removed or rewritten")
    else:
        for c in claimed:
            matches.append(_match(copies[c], signals[c], "claimed", 0.0))
        if claimed:
            notes.append(
                "only visible marks name a copy, and anyone can write those: no hidden mark "
                "confirms them"
            )
    return Identification(path, n_rows, tuple(matches), tuple(conflicts), tuple(notes))


def _match(copy: dict[str, Any], found: list[Signal], confidence: str, score: float) -> Match:
    how = "; ".join(s.describe() for s in found)
    return Match(
        copy["copy_id"],
        copy["recipient"],
        copy["created_at"],
        how,
        confidence,
        score,
        tuple(found),
    )


__all__ = ["CERTAIN", "STRONG", "WEAK", "Identification", "Match", "Signal", "identify"]
