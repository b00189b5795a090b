"""The ``curated`` source: the knowledge base shipped with dyadwatch, as store datasets.

Each file of the knowledge base is one artifact, so a changed file is re-ingested alone and
an unchanged one is skipped:

- ``events/<name>.yaml`` → dataset ``events`` (canonical columns; ``source_key`` is the
  curated event id);
- ``instruments.yaml`` → dataset ``instrument_states`` (one row per state, with the state's
  ``known_at`` and its evidence ids);
- ``indicators/<name>.csv`` → dataset ``indicators`` (one row per observation and vintage).

An artifact's checksum covers its own file and every file its rows draw on (actors for
events; events for instrument states, whose ``known_at`` comes from their evidence; series
metadata for indicators), so editing an actor's name re-ingests the events that use it.

Rows that do not validate (:mod:`dyadwatch.knowledge.validate`) are not ingested; they come
back as rejects with their line and reason, and end in the store's quarantine. A file that
does not parse at all fails as a whole (:class:`~dyadwatch.errors.ArtifactError`) and the
store keeps the version it had.

Examples
--------
>>> src = CuratedSource()
>>> [a.key for a in src.discover()][:1]  # doctest: +SKIP
['events/1985-2016.yaml']
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa

from dyadwatch.errors import ArtifactError
from dyadwatch.knowledge.indicators import observation_rows
from dyadwatch.knowledge.loader import KnowledgeBase, Located, Problem, display_path, load
from dyadwatch.knowledge.loader import data_root as kb_root
from dyadwatch.knowledge.schema import EventRecord, InstrumentRecord, end_of_precision
from dyadwatch.knowledge.validate import validate
from dyadwatch.model import INDICATOR_SCHEMA, INSTRUMENT_STATE_SCHEMA, rows_to_table
from dyadwatch.sources.base import LINE_COLUMN, Artifact, Chunk, Reject, Source, check_local_path

log = logging.getLogger(__name__)

BASIS_OUTSIDE = "editor:outside-security"
"""``effect_basis`` of an event its editor placed outside the security relationship: it has no
relational effect (null), and the relationship series does not count it."""

CONFIDENCE_VERIFIED = 0.9
CONFIDENCE_UNVERIFIED = 0.6
_FORMAT_VERSION = "curated-3"
_SUFFIXES = {".yaml", ".yml", ".csv"}
_FATAL = ("YAML does not parse", "not UTF-8", "header:", "empty file", "expected a list")


def event_confidence(verified: bool) -> float:
    """Confidence of a curated event from its verification flag.

    A *verified* event (0.9) was checked by an editor against a page that states its date
    and fact; the remaining 0.1 is for what one source and one editor can still get wrong
    (a date off by a day in a time zone, a paraphrase that overstates). An *unverified*
    event (0.6) has a cited source whose page did not confirm both, so it is more likely right
    than not but should not carry a finding alone. Both sit above the default of machine-coded
    feeds (``Source.default_confidence`` = 0.5), where audits find most events are not real.

    >>> event_confidence(True), event_confidence(False)
    (0.9, 0.6)
    """
    return CONFIDENCE_VERIFIED if verified else CONFIDENCE_UNVERIFIED


def state_known_at(
    state_from: date, evidence: Sequence[str], explicit: datetime | None, events: dict[str, Any]
) -> datetime:
    """When a state change became public.

    An explicit ``known_at`` wins. Otherwise the change is public when the first of its
    evidence events dated on or after the day it took effect is public: that event
    establishes it. Evidence dated before (an announcement, a bill passing) foreshadows a
    change but does not make it public; evidence dated later only corroborates it and must
    not delay it. When every evidence event comes before the change, the latest of them is
    used; without evidence, the end of the day the state took effect.

    >>> from datetime import date
    >>> state_known_at(date(2021, 1, 14), [], None, {}).date()
    datetime.date(2021, 1, 14)
    """
    if explicit is not None:
        return explicit
    found = [events[e] for e in evidence if e in events]
    after = sorted((e for e in found if e.date >= state_from), key=lambda e: (e.date, e.id))
    if after:
        return after[0].known_at_effective
    if found:
        return max(e.known_at_effective for e in found)
    return end_of_precision(state_from, "day")


def event_row(e: EventRecord, actors: dict[str, Any], line: int) -> dict[str, Any]:
    """One curated event as a row of canonical event columns (plus ``_line``)."""
    row: dict[str, Any] = {
        "source": CuratedSource.name,
        "source_key": e.id,
        "event_date": e.date,
        "known_at": e.known_at_effective,
        "cameo_code": e.cameo,
        "instruments": list(e.instruments),
        "source_urls": [s.url for s in e.sources],
        "source_titles": [s.title for s in e.sources],
        "source_published": [s.published_date for s in e.sources],
        "source_outlets": [s.publisher for s in e.sources],
        "relation_effect": e.relation_effect if e.domain == "security" else None,
        "effect_basis": (
            BASIS_OUTSIDE
            if e.domain == "other"
            else "editor"
            if e.relation_effect is not None
            else None
        ),
        "effect_rationale": " ".join(e.effect_rationale.split()) if e.effect_rationale else None,
        "episode": e.episode,
        "summary": " ".join(e.summary.split()),
        "confidence": event_confidence(e.verified),
        "handling": "public",
        "date_precision": e.precision,
        LINE_COLUMN: line,
    }
    for prefix, code in (("actor1", e.source), ("actor2", e.target)):
        actor = actors.get(code) if code else None
        row[f"{prefix}_code"] = code
        row[f"{prefix}_name"] = actor.name if actor else None
        row[f"{prefix}_country"] = actor.country if actor else (code or "")[:3] or None
        row[f"{prefix}_agent"] = actor.agent_type if actor else None
    return row


def state_rows(inst: InstrumentRecord, events: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of ``INSTRUMENT_STATE_SCHEMA`` for one instrument's timeline."""
    rows = []
    states = inst.states
    for i, s in enumerate(states):
        nxt = states[i + 1].valid_from if i + 1 < len(states) else None
        rows.append(
            {
                "instrument": inst.id,
                "state": s.state,
                "valid_from": s.valid_from,
                "valid_to": s.to if s.to is not None else nxt,
                "known_at": state_known_at(s.valid_from, s.evidence, s.known_at, events),
                "evidence": list(s.evidence),
                "note": " ".join(s.note.split()) if s.note else None,
                "source": CuratedSource.name,
            }
        )
    return rows


def _digest(paths: Sequence[Path]) -> str:
    h = hashlib.sha256(_FORMAT_VERSION.encode())
    for p in sorted(paths):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def _owner(starts: Sequence[int], line: int | None) -> int | None:
    """First line of the record that contains ``line`` (the last one starting at or before it)."""
    if line is None:
        return None
    owners = [s for s in starts if s <= line]
    return max(owners) if owners else None


class CuratedSource(Source):
    """The curated knowledge base (events, instrument states, indicators) shipped with dyadwatch."""

    name: ClassVar[str] = "curated"
    about: ClassVar[str] = (
        "dyadwatch's own curated record (dyadwatch/knowledge/), shipped under the project's "
        "Apache-2.0 licence; each event cites its pages, which remain their publishers'."
    )
    schema_versions: ClassVar[tuple[str, ...]] = (_FORMAT_VERSION,)
    default_confidence: float = CONFIDENCE_UNVERIFIED

    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root) if root is not None else kb_root()
        self._cache: dict[Path, tuple[tuple[Any, ...], KnowledgeBase, list[Problem]]] = {}

    def _checked(self, root: Path) -> tuple[KnowledgeBase, list[Problem]]:
        """The knowledge base at ``root`` and its problems, loaded once while no file changes."""
        files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in _SUFFIXES)
        stamp = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)
        cached = self._cache.get(root)
        if cached is None or cached[0] != stamp:
            kb = load(root)
            cached = (stamp, kb, validate(kb))
            self._cache[root] = cached
        return cached[1], cached[2]

    # --- discovery ---------------------------------------------------------------------------

    def _artifacts(self, root: Path) -> Iterator[Artifact]:
        actors = sorted((root / "actors").glob("*.yaml"))
        events = sorted((root / "events").glob("*.yaml"))
        series = sorted((root / "indicators").glob("*.yaml"))
        episodes = sorted((root / "episodes").glob("*.yaml"))
        for path in events:
            yield self._artifact(root, path, "events", [path, *actors, *episodes])
        instruments = root / "instruments.yaml"
        if instruments.is_file():
            yield self._artifact(root, instruments, "instrument_states", [instruments, *events])
        for path in sorted((root / "indicators").glob("*.csv")):
            yield self._artifact(root, path, "indicators", [path, *series])

    def _artifact(self, root: Path, path: Path, dataset: str, inputs: list[Path]) -> Artifact:
        return Artifact(
            source=self.name,
            key=path.relative_to(root).as_posix(),
            checksum=_digest(inputs),
            path=path,
            size=path.stat().st_size,
            meta={"root": root, "dataset": dataset},
        )

    def discover(self, since: date | None = None, until: date | None = None) -> Iterator[Artifact]:
        """One artifact per file of the knowledge base (the period is not used: it is small)."""
        if not self.root.is_dir():
            raise ArtifactError(f"{self.root}: knowledge base directory not found.")
        return self._artifacts(self.root)

    def artifacts_for_paths(self, paths: list[Path]) -> Iterator[Artifact]:
        """Artifacts of other knowledge-base directories (``dyadwatch ingest curated DIR``)."""
        for path in paths:
            path = check_local_path(path)
            if not path.is_dir() or not (path / "events").is_dir():
                raise ArtifactError(
                    f"{path}: not a knowledge-base directory (expected events/, actors/, "
                    "instruments.yaml and indicators/ as in dyadwatch/knowledge/FORMAT.md)."
                )
            yield from self._artifacts(path)

    # --- reading -----------------------------------------------------------------------------

    def read(self, artifact: Artifact) -> Iterator[Chunk]:
        root = Path(artifact.meta.get("root") or self.root)
        dataset = artifact.meta.get("dataset")
        path = artifact.path or root / artifact.key
        if not path.is_file():
            raise ArtifactError(f"{path}: no such file in the knowledge base.")
        kb, all_problems = self._checked(root)
        problems = [p for p in all_problems if p.file == display_path(path)]
        fatal = [p for p in problems if p.severity == "error" and p.message.startswith(_FATAL)]
        if fatal:
            raise ArtifactError(f"{fatal[0]} (fix the file; the store keeps its last good version)")
        if dataset == "events":
            yield self._read_events(kb, path, problems)
        elif dataset == "instrument_states":
            yield self._read_instruments(kb, path, problems)
        elif dataset == "indicators":
            yield self._read_indicators(kb, path, problems)
        else:
            raise ArtifactError(f"{artifact.key}: not a curated artifact (unknown dataset).")

    @staticmethod
    def _split(
        kb: KnowledgeBase, path: Path, records: Sequence[Located[Any]], problems: list[Problem]
    ) -> tuple[list[Located[Any]], list[Reject], int]:
        """Keep the records without errors; every error becomes a reject (warnings are logged).

        Returns the records kept, the rejects and the number of records in the file.
        """
        starts = kb.starts.get(path, [])
        bad: set[int] = set()
        rejects = []
        for p in problems:
            if p.severity != "error":
                log.info("%s", p)
                continue
            owner = _owner(starts, p.line)
            if owner is not None:
                bad.add(owner)
            rejects.append(Reject(reason=p.message, line=p.line))
        return [r for r in records if r.line not in bad], rejects, len(starts)

    def _read_events(self, kb: KnowledgeBase, path: Path, problems: list[Problem]) -> Chunk:
        mine = [e for e in kb.events if e.file == path]
        keep, rejects, n = self._split(kb, path, mine, problems)
        actors = {a.record.code: a.record for a in kb.actors}
        rows = [event_row(e.record, actors, e.line) for e in keep]
        if rows:
            table = pa.table({c: [r.get(c) for r in rows] for c in rows[0]})
        else:
            table = pa.table(
                {
                    "source": pa.array([], pa.string()),
                    "source_key": pa.array([], pa.string()),
                    LINE_COLUMN: pa.array([], pa.int64()),
                }
            )
        return Chunk("events", table, rejects, rows_read=n)

    def _read_instruments(self, kb: KnowledgeBase, path: Path, problems: list[Problem]) -> Chunk:
        mine = [i for i in kb.instruments if i.file == path]
        keep, rejects, _ = self._split(kb, path, mine, problems)
        events = {e.record.id: e.record for e in kb.events}
        rows = [row for i in keep for row in state_rows(i.record, events)]
        table = rows_to_table(rows, INSTRUMENT_STATE_SCHEMA)
        skipped = sum(len(i.record.states) for i in mine if i not in keep)
        return Chunk("instrument_states", table, rejects, rows_read=table.num_rows + skipped)

    def _read_indicators(self, kb: KnowledgeBase, path: Path, problems: list[Problem]) -> Chunk:
        mine = [o for o in kb.observations if o.file == path]
        keep, rejects, n = self._split(kb, path, mine, problems)
        table = rows_to_table(observation_rows(kb, keep), INDICATOR_SCHEMA)
        return Chunk("indicators", table, rejects, rows_read=n)


__all__ = [
    "BASIS_OUTSIDE",
    "CONFIDENCE_UNVERIFIED",
    "CONFIDENCE_VERIFIED",
    "CuratedSource",
    "event_confidence",
    "event_row",
    "state_known_at",
    "state_rows",
]
