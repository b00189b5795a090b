"""Read one GDELT file — zipped or not, any of the four formats — into canonical Arrow chunks.

A plain file is memory-mapped and a zip member streamed, in blocks of about
:data:`BLOCK_BYTES` cut at line ends; each block is checked for UTF-8 as a whole and parsed by
Arrow's CSV reader (typed columns, no Python loop over rows). With a dyad filter, the first
pass reads only the columns the filter and the volume counts need (SQLDATE and the two actor
countries); the few rows kept are then cut out of the block and parsed in full. Memory is
bounded by the block size plus the rows kept.

What the reader sets aside, with its line number and a reason (the rest of the file is read):

- a line with the wrong number of fields (ragged or truncated), an empty line, a line that is
  not UTF-8 (GDELT 1.0 extracts that mix 57- and 58-column rows are read as both);
- a row whose SQLDATE is not a date (every row: the volume counts need its day);
- a kept row whose GLOBALEVENTID, DATEADDED or numeric field does not parse, whose number
  does not fit its canonical type (NumMentions 99999999999999 in an int32), or with a field
  longer than any GDELT field (a 10 MB name). (Rows the filter drops are not stored, so only
  their width and SQLDATE are checked.)

What fails the whole file (:class:`~dyadwatch.errors.ArtifactError`; the pipeline quarantines
it and goes on): an empty file, an HTML/XML page served in place of a file, a zip that is
truncated, corrupt or fails its CRC, a semicolon-separated spreadsheet export, the old
"reduced" format, and lines whose width matches no GDELT format.

Before filtering, every row with the right width and a valid SQLDATE is counted per day
(SQLDATE) and actor country into the ``volume`` dataset — the denominators the index uses to
correct for media volume; an event naming two countries counts once for each, and once under
``*`` (the total).

The work is split along its seams: :mod:`.fileio` opens files and cuts blocks,
:mod:`.parse` sniffs layouts, parses blocks and validates fields, :mod:`.canonical` maps rows
to the canonical datasets; this module drives them over one file (:class:`FileReader`).

Dates: ``known_at`` is DATEADDED (a GDELT 2.0 15-minute stamp, or a GDELT 1.0 day, taken as
its end), never earlier than the start of the event's own day (GDELT dates events by the
local calendar of the story). DATEADDED itself goes with each event row as its publication
time (the private ``_published`` column), so the ``ranges`` normalise step sets aside an
event dated more than its tolerance (a day) after the file published it: raising
``known_at`` alone would hide such a row.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.compute as pc

from dyadwatch.errors import ArtifactError
from dyadwatch.model import EVENT_SCHEMA, MENTION_SCHEMA
from dyadwatch.sources.base import LINE_COLUMN, Chunk, Reject
from dyadwatch.sources.gdelt.canonical import (
    EVENT_FIELDS,
    MENTION_FIELDS,
    NARROW_EVENT_FIELDS,
    NARROW_MENTION_FIELDS,
    Dyads,
    events_to_canonical,
    mentions_to_canonical,
    volume_counts,
)
from dyadwatch.sources.gdelt.fileio import (
    BytesLike,
    is_zip,
    iter_blocks,
    iter_mapped_blocks,
    open_member,
    read_head,
)
from dyadwatch.sources.gdelt.formats import Format
from dyadwatch.sources.gdelt.parse import (
    Layout,
    edge_stamps,
    parse_headered,
    pick_lines,
    read_block,
    sniff,
    timestamp_14_or_8,
    validate_day,
    validate_keys,
)
from dyadwatch.sources.volume import finish_volume

log = logging.getLogger(__name__)

FLUSH_ROWS = 200_000
"""Kept rows accumulated before a chunk is yielded (matters only without a dyad filter)."""


@dataclass(slots=True)
class ReadReport:
    """What reading one file found (for logs, tests and the benchmark)."""

    format: str | None = None
    lines: int = 0
    rows_valid: int = 0
    rows_kept: int = 0
    rejects: int = 0
    checksum: str | None = None


@dataclass(slots=True)
class FileReader:
    """Reads one GDELT file into chunks. Construct per file; iterate :meth:`chunks`.

    Parameters
    ----------
    path
        The file (zipped or not).
    artifact
        Its artifact key (the ``artifact`` column of the volume rows).
    dyads
        Events kept (empty: all).
    fips
        FIPS 10-4 → CAMEO country table (:func:`fips_table`).
    keep_mentions
        For mention files: a mask of the GLOBALEVENTIDs whose mentions are kept (None: all).
    on_event_keys
        Called with the GLOBALEVENTIDs of kept events (so a later mentions file keeps theirs).

    Examples
    --------
    >>> usa_mex = Dyads.parse(["USA-MEX"])
    >>> reader = FileReader(path, path.name, usa_mex, fips_table())  # doctest: +SKIP
    >>> [(c.dataset, c.table.num_rows) for c in reader.chunks()]  # doctest: +SKIP
    [('events', 2), ('volume', 127)]
    """

    path: Path
    artifact: str
    dyads: Dyads
    fips: pa.Table
    keep_mentions: Callable[[pa.Array], Any] | None = None
    on_event_keys: Callable[[list[str]], None] | None = None
    report: ReadReport = field(default_factory=ReadReport)
    _volume_parts: list[pa.Table] = field(default_factory=list)
    _known: list[Any] = field(default_factory=list)
    _mapped: Path | None = None

    def chunks(self) -> Iterator[Chunk]:
        path = self.path
        if path.stat().st_size == 0:
            raise ArtifactError("empty file (0 bytes); download it again.")
        with open_member(path) as fh:
            head = read_head(fh)
            layout = sniff(head, path.name)
            self.report.format = layout.format.name
            fh.seek(0)
            self._mapped = None if is_zip(path) or layout.header else path
            yield from self._read(fh, layout)

    def _read(self, stream: IO[bytes], layout: Layout) -> Iterator[Chunk]:
        fmt = layout.format
        kind = fmt.dataset
        filtered = bool(self.dyads.pairs) if kind == "events" else self.keep_mentions is not None
        rejects: list[Reject] = []
        kept: list[pa.Table] = []
        kept_rows = 0
        rows_read = 0
        for table, block_rejects, n_lines in self._tables(stream, layout, filtered):
            rows_read += n_lines
            self.report.lines += n_lines
            rejects.extend(block_rejects)
            if table.num_rows:
                kept.append(table)
                kept_rows += table.num_rows
            if kept_rows >= FLUSH_ROWS:
                yield self._chunk(kind, fmt, kept, rejects, rows_read)
                kept, kept_rows, rejects, rows_read = [], 0, [], 0
        self.report.rejects += len(rejects)
        yield self._chunk(kind, fmt, kept, rejects, rows_read)
        if kind == "events":
            yield Chunk("volume", self._volume(fmt), rows_read=0)

    def _tables(
        self, stream: IO[bytes], layout: Layout, filtered: bool
    ) -> Iterator[tuple[pa.Table, list[Reject], int]]:
        """(kept rows with every field, typed keys; rejects; lines read) per block."""
        kind = layout.format.dataset
        wide = EVENT_FIELDS if kind == "events" else MENTION_FIELDS
        if layout.header or not filtered:
            for table, block_rejects, n in self._wide_blocks(stream, layout, wide):
                table = validate_keys(table, kind, block_rejects)
                self.report.rows_valid += table.num_rows
                if kind == "events":
                    self._count(table)
                    table = table.filter(
                        self.dyads.mask(
                            table.column("Actor1CountryCode"), table.column("Actor2CountryCode")
                        )
                    )
                elif self.keep_mentions is not None:
                    table = table.filter(self.keep_mentions(table.column("GLOBALEVENTID")))
                yield table, block_rejects, n
            return
        narrow = NARROW_EVENT_FIELDS if kind == "events" else NARROW_MENTION_FIELDS
        line = 1
        for data in self._raw_blocks(stream):
            block = read_block(data, line, layout, narrow)
            line += block.n_lines
            table = block.table
            if kind == "events":
                table = validate_day(table, block.rejects)
                self.report.rows_valid += table.num_rows
                self._count(table)
                self._known.extend(edge_stamps(data, layout.format))
                mask = self.dyads.mask(
                    table.column("Actor1CountryCode"), table.column("Actor2CountryCode")
                )
            else:
                self.report.rows_valid += table.num_rows
                assert self.keep_mentions is not None
                mask = self.keep_mentions(table.column("GLOBALEVENTID"))
            wanted = table.filter(mask).column(LINE_COLUMN)
            if len(wanted) == 0:
                yield pa.table({}), block.rejects, block.n_lines
                continue
            picked, numbers = pick_lines(block, wanted.to_numpy())
            full = read_block(picked, 0, layout, wide, numbers=numbers).table
            full = validate_keys(full, kind, block.rejects)
            if kind == "events" and full.num_rows:
                self._known.append(pc.max(full.column("DATEADDED")).as_py())
            yield full, block.rejects, block.n_lines

    def _wide_blocks(
        self, stream: IO[bytes], layout: Layout, fields: Sequence[str]
    ) -> Iterator[tuple[pa.Table, list[Reject], int]]:
        if layout.header:
            for table in parse_headered(stream, layout, fields):
                yield table, [], table.num_rows
            return
        line = 1
        for data in self._raw_blocks(stream):
            block = read_block(data, line, layout, fields)
            line += block.n_lines
            yield block.table, block.rejects, block.n_lines

    def _raw_blocks(self, stream: IO[bytes]) -> Iterator[BytesLike]:
        """Blocks of whole lines: mapped from disk for a plain file, read from a zip member."""
        if self._mapped is not None:
            yield from iter_mapped_blocks(self._mapped)
        else:
            yield from iter_blocks(stream)

    def _count(self, table: pa.Table) -> None:
        """Add a block's rows (valid day) to the volume counts (and the latest DATEADDED,
        when the block was read in full)."""
        if table.num_rows == 0:
            return
        self._volume_parts.append(volume_counts(table))
        if "DATEADDED" in table.column_names:
            latest = pc.max(table.column("DATEADDED")).as_py()
            if latest is not None:
                self._known.append(latest)

    def _volume(self, fmt: Format) -> pa.Table:
        known = None
        if self._known:
            # DATEADDED strings of one file have one width, so the largest is the latest.
            stamp = max(self._known, key=lambda v: (len(v), v))
            known = timestamp_14_or_8(pa.array([stamp], pa.string()))[0].as_py()
        volume = finish_volume(self._volume_parts, fmt.source, self.artifact, None)
        if known is None and volume.num_rows:
            # No readable DATEADDED near the blocks' edges: the end of the latest day counted.
            last = pc.max(volume.column("day")).as_py().strftime("%Y%m%d")
            known = timestamp_14_or_8(pa.array([last], pa.string()))[0].as_py()
        return finish_volume(self._volume_parts, fmt.source, self.artifact, known)

    def _chunk(
        self, kind: str, fmt: Format, kept: list[pa.Table], rejects: list[Reject], rows_read: int
    ) -> Chunk:
        schema = EVENT_SCHEMA if kind == "events" else MENTION_SCHEMA
        kept = [t for t in kept if t.num_rows]
        if kept:
            table = pa.concat_tables(kept)
            if kind == "events":
                out = events_to_canonical(table, fmt.source, self.fips, rejects)
                if self.on_event_keys is not None:
                    self.on_event_keys(out.column("source_key").to_pylist())
            else:
                out = mentions_to_canonical(table, fmt.source, rejects)
        else:
            out = schema.empty_table().append_column(LINE_COLUMN, pa.array([], pa.int64()))
        self.report.rows_kept += out.num_rows
        return Chunk(kind, out, rejects=list(rejects), rows_read=rows_read)


__all__ = ["FLUSH_ROWS", "FileReader", "ReadReport"]
