"""The pipeline: source → normalise steps → store, one artifact at a time, atomically.

:func:`ingest` is what ``dyadwatch ingest`` and ``dyadwatch update`` call. For each artifact:
if the store already holds the same version (same key and checksum), it is skipped; otherwise
its chunks are read, event chunks go through the normalise steps, everything kept is written
as new Parquet parts, and one catalog commit makes the artifact visible with its quarantined
rows and its ingest-log entry. A file that cannot be read at all is quarantined whole, and the
run goes on. The run ends with an :class:`IngestSummary`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from dyadwatch.errors import ArtifactError, RowRejected, UsageError
from dyadwatch.model import DATASETS
from dyadwatch.normalise import DEFAULT_STEPS, Step, StepContext, normalise
from dyadwatch.settings import STRICTNESS
from dyadwatch.sources.base import Artifact, Reject, Source
from dyadwatch.store.store import Store
from dyadwatch.store.writer import ArtifactSummary

log = logging.getLogger(__name__)


@dataclass(slots=True)
class IngestSummary:
    """What a run did, artifact by artifact.

    Counts are in input rows: ``rows_read`` (data rows read), ``rows_kept`` (rows that went
    into the store), ``rows_quarantined``, ``rows_duplicate``. Most sources store one record
    per row kept; a source whose chunks say how many rows they used (``rows_used``: a
    statistics file, whose row may hold two figures or be summed with others) stores a
    different number of records, kept in :attr:`records` and reported apart.
    """

    artifacts: list[ArtifactSummary] = field(default_factory=list)
    records: dict[str, int] = field(default_factory=dict)
    """Records stored, by artifact key, where they are not one per row kept."""

    def stored(self, artifact: ArtifactSummary) -> int:
        """Records stored for ``artifact`` (its rows kept, unless :attr:`records` says)."""
        return self.records.get(artifact.artifact, artifact.rows_kept)

    @property
    def rows_stored(self) -> int:
        return sum(self.stored(a) for a in self.artifacts)

    def count(self, status: str) -> int:
        return sum(1 for a in self.artifacts if a.status == status)

    @property
    def rows_read(self) -> int:
        return sum(a.rows_read for a in self.artifacts)

    @property
    def rows_kept(self) -> int:
        return sum(a.rows_kept for a in self.artifacts)

    @property
    def rows_quarantined(self) -> int:
        return sum(a.rows_quarantined for a in self.artifacts)

    @property
    def rows_duplicate(self) -> int:
        return sum(a.rows_duplicate for a in self.artifacts)

    @property
    def ok(self) -> bool:
        """True when no artifact failed (quarantined rows alone do not make a run fail)."""
        return self.count("failed") == 0

    def describe(self) -> str:
        """One paragraph for a person: the run's totals.

        >>> IngestSummary([ArtifactSummary("cdc_vsrr", "f.csv", "done", 10, 8, 1)],
        ...               records={"f.csv": 16}).describe().split("; ")[1]
        'rows read 10, kept 8 (stored as 16 records), quarantined 1, already stored 0.'
        """
        stored = self.rows_stored
        records = f" (stored as {stored} records)" if stored != self.rows_kept else ""
        return (
            f"{len(self.artifacts)} artifact(s): {self.count('done')} ingested, "
            f"{self.count('skipped')} unchanged (skipped), {self.count('failed')} failed; "
            f"rows read {self.rows_read}, kept {self.rows_kept}{records}, "
            f"quarantined {self.rows_quarantined}, already stored {self.rows_duplicate}."
        )


Progress = Callable[[Artifact, ArtifactSummary], None]


def _handle_rejects(rejects: list[Reject], strictness: str, artifact: Artifact) -> list[Reject]:
    if not rejects:
        return rejects
    if strictness == "raise":
        first = rejects[0]
        raise RowRejected(
            f"{artifact.key}, line {first.line}: {first.reason}",
            line=first.line,
            column=first.column,
        )
    if strictness == "warn":
        for r in rejects[:20]:
            log.warning("%s line %s: %s", artifact.key, r.line, r.reason)
    if strictness == "ignore":
        return []
    return rejects


def ingest(
    source: Source,
    artifacts: Iterable[Artifact],
    store: Store,
    *,
    steps: Sequence[Step] = DEFAULT_STEPS,
    strictness: str = "quarantine",
    progress: Progress | None = None,
) -> IngestSummary:
    """Ingest ``artifacts`` of ``source`` into ``store``; return what happened.

    Parameters
    ----------
    source
        The source that reads the artifacts.
    artifacts
        From ``source.discover(...)`` or ``source.artifacts_for_paths(...)``.
    store
        The target store; this call holds its writer lock throughout.
    steps
        Normalise steps for event chunks (default :data:`dyadwatch.normalise.DEFAULT_STEPS`).
    strictness
        ``quarantine`` (default) keeps bad rows in the quarantine table with their reason;
        ``warn`` also logs them; ``ignore`` drops them; ``raise`` stops at the first one.
    progress
        Called after each artifact with its summary.

    Examples
    --------
    One artifact of two events, ingested into a new store, then again (unchanged, skipped):

    >>> import tempfile
    >>> from datetime import UTC, date, datetime
    >>> from pathlib import Path
    >>> from dyadwatch.model import Actor, Event
    >>> from dyadwatch.sources.memory import MemorySource
    >>> us, mx = Actor(code="USAGOV", country="USA"), Actor(code="MEXGOV", country="MEX")
    >>> src = MemorySource()
    >>> _ = src.add("talks.csv", [
    ...     Event(source="demo", source_key=k, event_date=date(2021, 1, 15), actor1=us,
    ...           actor2=mx, cameo_code="036", known_at=datetime(2021, 1, 15, tzinfo=UTC))
    ...     for k in ("1", "2")])
    >>> target = Store.init(Path(tempfile.mkdtemp()) / "example")
    >>> print(ingest(src, src.discover(), target).describe())  # doctest: +NORMALIZE_WHITESPACE
    1 artifact(s): 1 ingested, 0 unchanged (skipped), 0 failed;
    rows read 2, kept 2, quarantined 0, already stored 0.
    >>> ingest(src, src.discover(), target).count("skipped")
    1
    """
    if strictness not in STRICTNESS:
        raise UsageError(f"strictness must be one of {', '.join(STRICTNESS)}, not {strictness!r}.")
    summary = IngestSummary()
    ctx = StepContext(source=source.name, default_confidence=source.default_confidence)
    with store.writer() as writer:
        for artifact in artifacts:
            if writer.current_checksum(artifact.source, artifact.key) == artifact.checksum:
                done = ArtifactSummary(artifact.source, artifact.key, "skipped")
                summary.artifacts.append(done)
                if progress:
                    progress(artifact, done)
                continue
            run = writer.begin(artifact)
            used: int | None = None
            try:
                for chunk in source.read(artifact):
                    run.rows_read += (
                        chunk.rows_read if chunk.rows_read is not None else chunk.table.num_rows
                    )
                    if chunk.rows_used is not None:
                        used = (used or 0) + chunk.rows_used
                    run.reject(_handle_rejects(chunk.rejects, strictness, artifact))
                    if chunk.dataset == "events":
                        table, rejects = normalise(chunk.table, ctx, steps)
                        run.reject(_handle_rejects(rejects, strictness, artifact))
                    elif chunk.dataset in DATASETS:
                        table = chunk.table
                    else:
                        raise ArtifactError(f"source produced unknown dataset {chunk.dataset!r}")
                    run.write(chunk.dataset, _drop_private(table))
                result = run.commit()
                if used is not None:
                    summary.records[result.artifact] = result.rows_kept
                    result.rows_kept = used
            except ArtifactError as exc:
                log.warning("%s", _about(artifact, str(exc)))
                result = run.fail(str(exc))
            except BaseException:
                # RowRejected under strictness=raise, KeyboardInterrupt, bugs: record the
                # failure so the log is honest, then let it propagate. Nothing was committed.
                run.fail("interrupted by an error; nothing from this artifact was kept")
                raise
            summary.artifacts.append(result)
            if progress:
                progress(artifact, result)
    return summary


def _about(artifact: Artifact, message: str) -> str:
    """``message`` led by the artifact's name, unless it already names it."""
    names = [artifact.key, Path(artifact.key).name]
    if artifact.path is not None:
        names += [str(artifact.path), artifact.path.name]
    named = any(n and message.startswith(n) for n in names)
    return message if named else f"{artifact.key}: {message}"


def _drop_private(table: pa.Table) -> pa.Table:
    return table.select([c for c in table.column_names if not c.startswith("_")])
