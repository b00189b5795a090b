"""The shape every event-dataset source shares: a file with a header, filtered to the dyads.

ICEWS, POLECAT, Phoenix and ACLED differ in their columns and codes and agree on the rest,
which lives here (:class:`EventFileSource`); each source says how to read its header and how
to map its rows:

1. the file's bytes (:func:`~.tabular.read_bytes`) as UTF-8 (:func:`~.tabular.to_utf8`);
2. the header checked for the source's required columns — a file without them fails as a
   whole, with the columns it lacks named (:class:`~dyadwatch.errors.ArtifactError`);
3. rows parsed (:func:`~.tabular.parse`); a row with the wrong number of fields is set aside;
4. each row's day and actor countries (:meth:`EventFileSource.keys`), counted into the
   ``volume`` dataset before filtering (the index's denominators, as for GDELT);
5. the rows between the watched dyads (``dyads``; none: every row) mapped to canonical
   columns (:meth:`EventFileSource.to_canonical`), rows the mapping cannot read set aside
   with their reason. Types, dates, codes and ranges are then checked by the normalise steps.

``known_at`` — when a record became public — is each source's own rule, documented in its
module; a user who knows better gives it (``dyadwatch ingest icews FILE --known-at DATE``),
and it then applies to every row of the file.

Source-native fields with no canonical column are kept, per event, in ``attributes`` (a JSON
object), so nothing the source said is lost even when the canonical event cannot hold it.
"""

from __future__ import annotations

import logging
import mmap
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, ClassVar

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from dyadwatch.errors import ArtifactError, UsageError
from dyadwatch.model import EVENT_SCHEMA, TS, VOLUME_SCHEMA, as_of_timestamp
from dyadwatch.settings import Settings
from dyadwatch.sources.base import LINE_COLUMN, Artifact, Chunk, Reject, Source, check_local_path
from dyadwatch.sources.tabular import (
    parse,
    pick_lines,
    read_bytes,
    split_header,
    strptime_strict,
    to_utf8,
)
from dyadwatch.sources.volume import count_volume, finish_volume

log = logging.getLogger(__name__)

CHUNK_ROWS = 200_000
"""Events per chunk handed to the normalise steps (bounds their memory on a year file)."""


def parse_dyads(dyads: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """``["USA-MEX"]`` → ``(("USA", "MEX"),)``; a malformed dyad is a :class:`UsageError`.

    >>> parse_dyads(["usa-mex"])
    (('USA', 'MEX'),)
    """
    pairs = []
    for d in dyads:
        parts = str(d).upper().split("-")
        if len(parts) != 2 or not all(len(p) == 3 and p.isalpha() for p in parts):
            raise UsageError(f"{d!r} is not a dyad like USA-MEX.")
        pairs.append((parts[0], parts[1]))
    return tuple(pairs)


def dyad_mask(pairs: Sequence[tuple[str, str]], a1: Any, a2: Any) -> Any:
    """True where the two actor countries form one of ``pairs`` (either direction)."""
    a1 = pc.fill_null(a1, "")
    a2 = pc.fill_null(a2, "")
    out = pa.array([True] * len(a1)) if not pairs else None
    for a, b in pairs:
        m = pc.or_(
            pc.and_(pc.equal(a1, a), pc.equal(a2, b)), pc.and_(pc.equal(a1, b), pc.equal(a2, a))
        )
        out = m if out is None else pc.or_(out, m)
    return out


def to_json(columns: dict[str, Any]) -> pa.Array:
    """One JSON object per row from named columns, or null where every value is null.

    Encoded by polars (no Python loop over rows); a null value is written as ``null``.

    >>> to_json({"a": pa.array(["x", None, "y"]), "b": pa.array([1, None, None])}).to_pylist()
    ['{"a":"x","b":1}', None, '{"a":"y","b":null}']
    """
    if not columns:
        return pa.array([], pa.string())
    frame = pl.from_arrow(pa.table(columns))
    assert isinstance(frame, pl.DataFrame)
    names = list(columns)
    all_null = pl.all_horizontal([pl.col(n).is_null() for n in names])
    encoded = frame.select(
        pl.when(all_null)
        .then(pl.lit(None, dtype=pl.String))
        .otherwise(pl.struct(names).struct.json_encode())
        .alias("j")
    )["j"]
    return pc.cast(encoded.to_arrow(), pa.string())


def actor_code(country: Any, agent: Any) -> Any:
    """A CAMEO-style actor code from a country and an agent code (``MEX`` + ``GOV`` →
    ``MEXGOV``; either alone when the other is missing; null when both are).

    >>> actor_code(pa.array(["MEX", None, None]), pa.array(["GOV", "CVL", None])).to_pylist()
    ['MEXGOV', 'CVL', None]
    """
    return join_present([country, agent], "")


def join_present(columns: Sequence[Any], separator: str) -> Any:
    """Join the non-null values of each row with ``separator``; null where all are null.

    (Arrow's own ``null_handling="skip"`` drops rows whose values are all null — a shorter
    column — in pyarrow 26, so this joins pairwise instead.)

    >>> join_present([pa.array(["a", None, None]), pa.array(["b", "c", None])], ", ").to_pylist()
    ['a, b', 'c', None]
    """
    result: Any = None
    for col in columns:
        if result is None:
            result = col
            continue
        both = pc.binary_join_element_wise(result, col, separator)
        result = pc.coalesce(both, result, col)
    return result


def set_aside_rows(
    table: pa.Table,
    bad: Any,
    reason: Callable[[dict[str, Any]], str],
    column: str,
    rejects: list[Reject],
) -> pa.Table:
    """Move the rows where ``bad`` holds into ``rejects``, each with ``reason(row)``.

    >>> t = pa.table({"x": ["a", "b"], LINE_COLUMN: [2, 3]})
    >>> out: list[Reject] = []
    >>> set_aside_rows(t, pa.array([False, True]), lambda r: f"x {r['x']!r}", "x", out).num_rows
    1
    >>> out[0].line, out[0].reason
    (3, "x 'b'")
    """
    bad = pc.fill_null(bad, False)
    if not pc.any(bad).as_py():
        return table
    for row in table.filter(bad).to_pylist():
        rejects.append(Reject(reason=reason(row), line=row[LINE_COLUMN], column=column))
    return table.filter(pc.invert(bad))


def iso_days(values: Any) -> Any:
    """``YYYY-MM-DD`` strings → date32 (null where the text is not a date).

    >>> iso_days(pa.array(["2018-06-01", "2018-13-01"])).to_pylist()
    [datetime.date(2018, 6, 1), None]
    """
    return pc.cast(strptime_strict(values, "%Y-%m-%d"), pa.date32())


def end_of_day(day: Any, later: int = 0) -> Any:
    """A date column → the last microsecond of each day (or of the day ``later`` days on), UTC.

    >>> end_of_day(pa.array([date(2018, 1, 1)]), later=1).to_pylist()[0].isoformat()
    '2018-01-02T23:59:59.999999+00:00'
    """
    us = pc.cast(pc.cast(day, pa.timestamp("us")), pa.int64())
    last = pc.add(us, 86_400_000_000 * (1 + later) - 1)
    return pc.cast(pc.cast(last, pa.timestamp("us")), TS)


def not_before_day(known: Any, day: Any) -> Any:
    """``known`` (timestamps) raised to the start of the event's day where it is earlier:
    a record cannot have been public before the day it reports began."""
    start = pc.cast(pc.cast(day, pa.timestamp("us")), pa.int64())
    k = pc.cast(pc.cast(known, pa.timestamp("us", tz="UTC")), pa.int64())
    return pc.cast(pc.cast(pc.max_element_wise(k, start), pa.timestamp("us")), TS)


class EventFileSource(Source):
    """Base of the file-based event datasets; subclasses set the class attributes and hooks."""

    name: ClassVar[str]
    stored_as: ClassVar[str]
    """The ``source`` column of the stored events (``icews``, ``polecat`` …)."""
    about: ClassVar[str]
    """Licence and terms of use, one paragraph (shown with the source)."""
    delimiter: ClassVar[str] = "\t"
    quoted: ClassVar[bool] = False
    encoding: ClassVar[str] = "utf-8"
    required: ClassVar[tuple[str, ...]] = ()
    kind_of_file: ClassVar[str] = "an event file"
    trailing_empty_ok: ClassVar[bool] = False
    key_columns: ClassVar[tuple[str, ...]] = ()
    """The columns :meth:`keys` reads: an unquoted file is read for these first, and in full
    only for the rows kept (empty: every column, in one pass)."""
    lag: ClassVar[timedelta] = timedelta(0)
    """How long after an event's day its record is assumed public when nothing says when."""

    def __init__(
        self, *, dyads: Sequence[str] = ("USA-MEX",), known_at: date | datetime | None = None
    ) -> None:
        self.dyads = parse_dyads(dyads)
        self.known_at = as_of_timestamp(known_at) if known_at is not None else None

    @classmethod
    def from_settings(cls, settings: Settings, **kw: Any) -> EventFileSource:
        """A source for the watched dyads of ``settings`` (``**kw`` override)."""
        args: dict[str, Any] = {"dyads": settings.dyads}
        args.update(kw)
        return cls(**args)

    # --- hooks -------------------------------------------------------------------------------

    def dialect(self, first_line: str) -> tuple[str, bool]:
        """(delimiter, quoted) of a file, from its first line (default: the class's)."""
        return self.delimiter, self.quoted

    def column_names(self, header: list[str], first_row: list[str]) -> list[str] | None:
        """Names to read the rows by, when the header is known to be wrong (None: as is)."""
        return None

    def headerless_names(self, first_line: list[str]) -> list[str] | None:
        """Column names for a file whose first line is data, not a header (None: it has a
        header)."""
        return None

    def keys(self, table: pa.Table) -> tuple[Any, Any, Any]:
        """Each row's day (date32, null if unreadable) and its two actor countries."""
        raise NotImplementedError

    def to_canonical(
        self, table: pa.Table, artifact: Artifact, rejects: list[Reject]
    ) -> dict[str, Any]:
        """Canonical columns (any may be strings: the ``conform`` step casts them) for the
        kept rows; rows that cannot be mapped are removed from ``table`` first by
        :meth:`validate`."""
        raise NotImplementedError

    def keep(self, table: pa.Table, a1: Any, a2: Any) -> Any:
        """Which rows to keep (default: those between the watched dyads)."""
        return dyad_mask(self.dyads, a1, a2)

    def validate(self, table: pa.Table, rejects: list[Reject]) -> pa.Table:
        """Set aside rows the mapping cannot read (unknown codes …); default: none."""
        return table

    def release_time(self, artifact: Artifact) -> datetime | None:
        """When the artifact itself was published, if known (default: the ``known_at``
        option, else the artifact's ``published`` metadata from a download)."""
        if self.known_at is not None:
            return self.known_at
        published = artifact.meta.get("published")
        return published if isinstance(published, datetime) else None

    # --- reading -----------------------------------------------------------------------------

    def discover(self, since: date | None = None, until: date | None = None) -> Iterator[Artifact]:
        """No remote index by default: give files with ``dyadwatch ingest``."""
        return iter(())

    def artifacts_for_paths(self, paths: list[Path]) -> Iterator[Artifact]:
        """Artifacts for local files; the checksum is a CRC-32 of the bytes and their size
        (the file's version, as for GDELT: a SHA-256 costs more than reading the file)."""
        for given in paths:
            path = check_local_path(given)
            if not path.exists():
                raise ArtifactError(f"{path}: no such file.")
            if not path.is_file():
                raise ArtifactError(f"{path}: not a file (give files, not directories).")
            try:
                checksum = crc32_checksum(path)
            except OSError as exc:
                raise ArtifactError(f"{path}: cannot be read ({exc.strerror}).") from None
            yield Artifact(
                source=self.name,
                key=str(path.resolve()),
                checksum=checksum,
                path=path,
                size=path.stat().st_size,
            )

    def read(self, artifact: Artifact) -> Iterator[Chunk]:
        if artifact.path is None:
            raise ArtifactError(f"{artifact.key}: the {self.name} source reads local files only.")
        layout = self._layout(read_bytes(artifact.path))
        # Read twice: every row for the columns the filter and the volume counts need, then
        # the kept rows in full, cut out of the file by line (or, when a quoted field holds a
        # line break, the whole file again).
        narrow = bool(self.key_columns)
        parsed = parse(
            layout.text,
            delimiter=layout.delimiter,
            quoted=layout.quoted,
            names=layout.names,
            trailing_empty_ok=self.trailing_empty_ok,
            header=layout.header,
            include=self.key_columns if narrow else None,
        )
        rejects = layout.rejects + parsed.rejects
        if parsed.repaired:
            log.warning(
                "%s: %d row(s) had empty fields after the last column (stray delimiters); "
                "they were dropped and the rows kept (noted in each event's attributes)",
                artifact.key,
                len(parsed.repaired),
            )
        day, a1, a2 = self.keys(parsed.table)
        volume = count_volume(day, a1, a2)
        table = parsed.table.filter(self.keep(parsed.table, a1, a2))
        if narrow:
            table = self._full_rows(
                layout, table.column(LINE_COLUMN), parsed.one_line_per_row, parsed.rows_read
            )
        table = self.validate(table, rejects)
        columns = self.to_canonical(table, artifact, rejects)
        if parsed.repaired:
            columns["_repaired"] = pc.is_in(
                table.column(LINE_COLUMN), pa.array(parsed.repaired, pa.int64())
            )
        events = self._events(columns, table)
        first = True
        for start in range(0, max(events.num_rows, 1), CHUNK_ROWS):
            part = events.slice(start, CHUNK_ROWS)
            yield Chunk(
                "events",
                part,
                rejects=rejects if first else [],
                rows_read=parsed.rows_read if first else 0,
            )
            first = False
        known = self._volume_known(artifact, events, volume)
        if known is None:
            yield Chunk("volume", VOLUME_SCHEMA.empty_table(), rows_read=0)
            return
        yield Chunk(
            "volume", finish_volume([volume], self.stored_as, artifact.key, known), rows_read=0
        )

    def _full_rows(self, layout: Layout, lines: Any, by_line: bool, rows: int) -> pa.Table:
        """Every column of the rows at ``lines`` (file line numbers, ascending) of a file of
        ``rows`` records."""
        numbers = pc.cast(lines, pa.int64()).to_numpy(zero_copy_only=False)
        # Cutting most of a file's lines out costs more than reading it all again.
        if not by_line or len(numbers) > rows // 2:
            whole = parse(
                layout.text,
                delimiter=layout.delimiter,
                quoted=layout.quoted,
                names=layout.names,
                trailing_empty_ok=self.trailing_empty_ok,
                header=layout.header,
            ).table
            return whole.filter(pc.is_in(whole.column(LINE_COLUMN), pa.array(numbers)))
        picked = pick_lines(layout.text, numbers) if len(numbers) else b""
        full = parse(
            picked,
            delimiter=layout.delimiter,
            quoted=layout.quoted,
            names=layout.columns,
            trailing_empty_ok=self.trailing_empty_ok,
            header=False,
        )
        if full.table.num_rows != len(numbers):
            raise ArtifactError(
                f"{len(numbers)} kept row(s) read back as {full.table.num_rows}; the file "
                "changed while it was read?"
            )
        table = full.table.drop_columns([LINE_COLUMN])
        return table.append_column(LINE_COLUMN, pa.array(numbers, pa.int64()))

    def _layout(self, data: bytes) -> Layout:
        text, encoding_rejects, _ = to_utf8(data, self.encoding)
        end = text.find(b"\n")
        first_line = (text if end < 0 else text[:end]).rstrip(b"\r").decode("utf-8", "replace")
        delimiter, quoted = self.dialect(first_line)
        header, rest = split_header(text, delimiter, quoted)
        headerless = self.headerless_names(header)
        names = headerless or self.column_names(header, _first_row(rest, delimiter))
        columns = names if names is not None else header
        missing = [c for c in self.required if c not in set(columns)]
        if missing:
            raise ArtifactError(
                f"the header lacks {', '.join(repr(m) for m in missing)}; {self.kind_of_file} "
                f"has {', '.join(self.required)}. Is this a {self.name} file?"
            )
        return Layout(
            text=text,
            delimiter=delimiter,
            quoted=quoted,
            names=names,
            columns=list(columns),
            header=headerless is None,
            rejects=encoding_rejects,
        )

    def _events(self, columns: dict[str, Any], table: pa.Table) -> pa.Table:
        n = table.num_rows
        out: dict[str, Any] = {"source": pa.array([self.stored_as] * n, pa.string())}
        out.update(columns)
        repaired = out.pop("_repaired", None)
        if repaired is not None and "attributes" in out:
            note = pa.array(['"repaired":"empty trailing fields dropped"'] * n, pa.string())
            attrs = out["attributes"]
            with_note = pc.if_else(
                pc.is_null(attrs),
                pc.binary_join_element_wise("{", note, "}", ""),
                pc.binary_join_element_wise(
                    pc.utf8_slice_codeunits(attrs, 0, -1), ",", note, "}", ""
                ),
            )
            out["attributes"] = pc.if_else(repaired, with_note, attrs)
        out[LINE_COLUMN] = table.column(LINE_COLUMN)
        for f in EVENT_SCHEMA:
            if f.name not in out:
                out[f.name] = pa.nulls(n, f.type)
        return pa.table(out)

    def _volume_known(self, artifact: Artifact, events: pa.Table, volume: pa.Table) -> Any:
        """When the file's counts became public: its release if known, else as its latest
        event (the source's own rule), else the end of the latest day counted plus
        :attr:`lag`."""
        release = self.release_time(artifact)
        if release is not None:
            return release
        if events.num_rows:
            known = pc.max(pc.cast(events.column("known_at"), TS)).as_py()
            if known is not None:
                return known
        if volume.num_rows == 0:
            return None
        last = pc.max(volume.column("day")).as_py()
        return datetime.combine(last + self.lag, time.max, tzinfo=UTC)


def _first_row(rest: memoryview, delimiter: str) -> list[str]:
    head = bytes(rest[: 1 << 16])
    end = head.find(b"\n")
    line = head if end < 0 else head[:end]
    return line.rstrip(b"\r").decode("utf-8", errors="replace").split(delimiter)


def crc32_checksum(path: Path) -> str:
    """``crc32:<hex>:<size>`` of a file's bytes (read through a memory map).

    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile() as f:
    ...     _ = f.write(b"abc"); f.flush(); crc32_checksum(Path(f.name))
    'crc32:352441c2:3'
    """
    size = path.stat().st_size
    if size == 0:
        return "crc32:00000000:0"
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as view:
        return f"crc32:{zlib.crc32(view):08x}:{size}"


@dataclass(slots=True)
class Layout:
    """A file's text (UTF-8) and how to read it."""

    text: bytes
    delimiter: str
    quoted: bool
    names: list[str] | None
    """Names to read the rows by, when not the header's (None: the header's)."""
    columns: list[str]
    """The column names the rows are read by."""
    header: bool
    rejects: list[Reject]
    """Lines set aside while making the text UTF-8."""


__all__ = [
    "CHUNK_ROWS",
    "EventFileSource",
    "actor_code",
    "dyad_mask",
    "end_of_day",
    "iso_days",
    "join_present",
    "not_before_day",
    "parse_dyads",
    "set_aside_rows",
    "to_json",
]
