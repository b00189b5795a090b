"""Which stored files and rows an index reads: sources resolved, partitions pruned, dyad rows.

The index never reads the whole store. :func:`resolve` keeps the Parquet parts of the sources
asked for whose ``year``/``month`` partition overlaps the requested event dates, and
:func:`dyad_events` reads from them only the dyad's rows: one scan per direction, each
filtered by a conjunction (``actor1_country = A AND actor2_country = B``) that DuckDB pushes
into the Parquet reader, skipping row groups whose min/max statistics exclude the pair —
which prunes well when files are sorted by country pair. The
result is small (the dyad is a fraction of a percent of GDELT), stays inside DuckDB as a
temporary table, and is what every measure is computed from.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from dyadwatch.analyse.index.spec import DEFAULT_WEIGHT, FUSED, IndexSpec, period_end, period_start
from dyadwatch.errors import AnalysisError, UsageError, did_you_mean
from dyadwatch.model import EVENT_SCHEMA, as_of_timestamp
from dyadwatch.normalise.confidence import min_confidence_sql
from dyadwatch.store.parts import parquet, sql_str
from dyadwatch.store.store import Snapshot, Store

MEASURE_COLUMNS: tuple[str, ...] = (
    "source",
    "event_date",
    "known_at",
    "quad_class",
    "goldstein",
    "dedupe_group",
)
STORY_COLUMNS: tuple[str, ...] = (
    "event_id",
    "actor1_country",
    "actor2_country",
    "cameo_root",
    "source_urls",
    "summary",
)
EVIDENCE_COLUMNS: tuple[str, ...] = (
    "event_id",
    "actor1_code",
    "actor1_name",
    "actor1_country",
    "actor2_code",
    "actor2_name",
    "actor2_country",
    "cameo_code",
    "cameo_root",
    "num_mentions",
    "confidence",
    "source_urls",
    "summary",
)


REPRESENTATIVE = "known_at, quad_class NULLS LAST, goldstein NULLS LAST"
"""How the event counted for a dedupe group is chosen (then ``event_id`` where it is read)."""


QUAD_CLASSES: Mapping[str, int] = {"vc": 1, "mc": 2, "vk": 3, "mk": 4}
"""Count columns by CAMEO quad class: verbal/material cooperation, verbal/material conflict."""


def event_sums(only: str | None = None, suffix: str = "") -> str:
    """SQL select items for the sums every measure is built from.

    Counts by quad class, the Goldstein sum and its positive and negative mass, and the
    number of events scored; ``only`` restricts them all (a ``FILTER`` condition) and
    ``suffix`` is appended to their names.

    >>> event_sums().splitlines()[0]
    'count(*) FILTER (WHERE quad_class = 1) AS vc,'
    """

    def where(condition: str | None = None) -> str:
        conditions = [c for c in (only, condition) if c]
        return f" FILTER (WHERE {' AND '.join(conditions)})" if conditions else ""

    items = [
        f"count(*){where(f'quad_class = {q}')} AS {n}{suffix}" for n, q in QUAD_CLASSES.items()
    ]
    items += [
        f"sum(goldstein){where()} AS gsum{suffix}",
        f"sum(greatest(goldstein, 0)){where()} AS gpos{suffix}",
        f"sum(least(goldstein, 0)){where()} AS gneg{suffix}",
        f"count(goldstein){where()} AS ng{suffix}",
    ]
    return ",\n".join(items)


def in_family(stored: str, name: str) -> bool:
    """Whether stored source ``stored`` answers to ``name`` (``gdelt`` covers ``gdelt2``)."""
    return stored == name or (stored.startswith(name) and stored[len(name) :].isdigit())


@dataclass(frozen=True, slots=True)
class Scope:
    """A spec resolved against one store snapshot."""

    spec: IndexSpec
    labels: Mapping[str, str]
    """Stored source → the series label it counts under."""
    event_files: tuple[str, ...]
    volume_files: tuple[str, ...]
    since: date | None
    until: date | None
    """Event-date bounds widened to whole periods (None: unbounded)."""
    cache_dir: Path | None = None
    """Where dyad slices of the current parts are kept between processes (None: nowhere)."""
    slice_files: tuple[str, ...] = ()
    """Every event part of the sources in scope, whatever their dates: a cached dyad slice
    covers them all, so one slice serves every period asked of the same store version."""

    @property
    def series(self) -> list[str]:
        """The per-source series labels, sorted."""
        return sorted(set(self.labels.values()))

    def weight(self, label: str) -> float:
        """The fused-index weight of a series label (:data:`DEFAULT_WEIGHT` unless set)."""
        weights = self.spec.weights
        if label in weights:
            return weights[label]
        members = [s for s, lab in self.labels.items() if lab == label]
        for key, value in weights.items():
            if any(in_family(m, key) for m in members):
                return value
        return DEFAULT_WEIGHT


def resolve(store: Store, spec: IndexSpec, snapshot: Snapshot | None = None) -> Scope:
    """Resolve ``spec`` (already checked) against ``store``: sources, files, date bounds."""
    snap = snapshot or store.snapshot()
    stored = snap.sources("events")
    if not stored:
        raise AnalysisError(
            f"the store at {store.root} holds no events: ingest some first "
            "(`dyadwatch run` or `dyadwatch ingest SOURCE FILE…`)."
        )
    labels: dict[str, str] = {}
    if spec.sources is None:
        labels = {s: s for s in stored}
    else:
        for name in spec.sources:
            members = [s for s in stored if in_family(s, name)]
            if not members:
                raise UsageError(
                    f"no events from source {name!r} in the store.{did_you_mean(name, stored)} "
                    f"Stored sources: {', '.join(stored)}."
                )
            for m in members:
                labels.setdefault(m, name)
    for key in spec.weights:
        if key != FUSED and not any(in_family(s, key) for s in stored):
            raise UsageError(
                f"weight given for {key!r}, which is not a stored source."
                f"{did_you_mean(key, stored)} Stored sources: {', '.join(stored)}."
            )
    since = period_start(spec.since, spec.freq) if spec.since else None
    until = period_end(period_start(spec.until, spec.freq), spec.freq) if spec.until else None
    first = (since.year, since.month) if since else None
    last = (until.year, until.month) if until else None
    files = tuple(
        snap.path(p)
        for p in snap.parts
        if p.dataset == "events"
        and p.source in labels
        and (
            p.year is None
            or p.month is None
            or (
                (first is None or (p.year, p.month) >= first)
                and (last is None or (p.year, p.month) <= last)
            )
        )
    )
    volume = tuple(snap.files("volume", labels))
    every = tuple(snap.path(p) for p in snap.parts if p.dataset == "events" and p.source in labels)
    return Scope(spec, labels, files, volume, since, until, snap.root / "cache" / "index", every)


def label_case(labels: Mapping[str, str], column: str = "source") -> str:
    """SQL mapping a stored source name to its series label."""
    if all(k == v for k, v in labels.items()):
        return column
    whens = " ".join(f"WHEN {sql_str(k)} THEN {sql_str(v)}" for k, v in labels.items())
    return f"CASE {column} {whens} END"


def pairs_of(spec: IndexSpec) -> list[tuple[str, str]]:
    """The (actor1_country, actor2_country) pairs a spec's direction covers."""
    a, b = spec.countries
    pairs = {"ab": [(a, b)], "ba": [(b, a)], "both": [(a, b), (b, a)]}[spec.direction]
    return list(dict.fromkeys(pairs))


SLICE_FILTER_COLUMNS: tuple[str, ...] = (
    "actor1_country",
    "actor2_country",
    "event_date",
    "known_at",
    "confidence",
)
"""Columns every dyad slice keeps so that any spec's filters can be applied to it."""


def slice_columns(columns: Sequence[str]) -> list[str]:
    """The columns of a dyad slice serving ``columns``: ``source``, them, the filter columns."""
    return list(dict.fromkeys(["source", *columns, *SLICE_FILTER_COLUMNS]))


def empty_events(columns: Sequence[str]) -> pa.Table:
    fields = [EVENT_SCHEMA.field(c) for c in columns]
    return pa.schema(fields).empty_table()


def dyad_events(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    columns: Sequence[str] = MEASURE_COLUMNS,
    *,
    since: date | None = None,
    until: date | None = None,
    into: str = "dy",
    cache: bool = False,
) -> None:
    """Load the dyad's events in scope into the temporary table ``into`` of ``con``.

    Its columns are ``columns`` plus ``src`` (the series label). ``since``/``until`` narrow
    the event dates further (evidence for one period). The rows stay inside DuckDB: no
    round trip through Python.

    With ``cache`` (a long-lived connection, see ``IndexSession``) the dyad's rows of these
    exact files are scanned once into a temporary table and later calls filter that table
    instead of the Parquet files; parts are immutable, so a new commit means new files and
    a new cache entry, never a stale one.
    """
    spec = scope.spec
    cols = list(dict.fromkeys(["source", *columns]))
    if not scope.event_files:
        table = empty_events(cols)
        con.register("_dy_empty", table.append_column("src", pa.array([], pa.string())))
        con.execute(f"CREATE OR REPLACE TEMP TABLE {into} AS SELECT * FROM _dy_empty").fetchall()
        con.unregister("_dy_empty")
        return
    common: list[str] = []
    params: dict[str, object] = {}
    lo = max(d for d in (since, scope.since, date.min) if d is not None)
    hi = min(d for d in (until, scope.until, date.max) if d is not None)
    if lo != date.min:
        common.append("event_date >= $lo")
        params["lo"] = lo
    if hi != date.max:
        common.append("event_date <= $hi")
        params["hi"] = hi
    if spec.as_of is not None:
        common.append("known_at <= $as_of")
        params["as_of"] = as_of_timestamp(spec.as_of)
    if spec.min_confidence > 0:
        common.append(min_confidence_sql("$min_conf"))
        params["min_conf"] = spec.min_confidence
    pairs = pairs_of(spec)
    # One branch per direction, each a conjunction DuckDB can test against every row
    # group's min/max statistics. A single ``(A→B) OR (B→A)`` filter reaches the Parquet
    # reader only as ``actor1 IN (A, B) AND actor2 IN (A, B)``, which keeps the large
    # domestic A→A and B→B row groups: on the benchmark store it scanned 1.7M rows to return
    # 47k (EXPLAIN ANALYZE).
    # Goldstein scores are stored as float32; the scale has one decimal (GDELT 2.0 event
    # codebook, GoldsteinScale), so rounding removes float32 noise (3.4 → 3.4000000953…)
    # and nothing else.
    select = ", ".join(
        "CAST(round(CAST(goldstein AS DOUBLE), 4) AS DOUBLE) AS goldstein"
        if c == "goldstein"
        else c
        for c in cols
    )
    rel = parquet(scope.event_files)
    src = label_case(scope.labels)
    cols_all = slice_columns(columns)
    on_disk = disk_slice(con, scope, pairs, cols_all)
    if cache:
        rel = _dyad_slice(con, scope.slice_files or scope.event_files, pairs, cols_all, on_disk)
        select = ", ".join(cols)
    elif on_disk is not None:
        rel = on_disk
        select = ", ".join(cols)
    branches = []
    for i, (x, y) in enumerate(pairs):
        params[f"x{i}"], params[f"y{i}"] = x, y
        where = " AND ".join([f"actor1_country = $x{i}", f"actor2_country = $y{i}", *common])
        branches.append(f"SELECT {select}, {src} AS src FROM {rel} WHERE {where}")
    sql = " UNION ALL ".join(branches)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {into} AS {sql}", params).fetchall()


SLICE_VERSION = 2
"""Part of every slice's name: bumped when a slice's layout changes (2: ``slice_part``)."""

SLICE_PART = "slice_part"
"""The column of a cached slice naming the part file each row came from."""


def digest(definition: object) -> str:
    """A short hash of a cache file's definition (its ``repr``), for the file's name."""
    return hashlib.blake2b(repr(definition).encode(), digest_size=6).hexdigest()


def files_digest(files: Sequence[str]) -> str:
    """A short hash of an exact part list: a commit changes it, so a cache name changes."""
    return hashlib.blake2b("\x1f".join(files).encode(), digest_size=6).hexdigest()


def slice_shape(pairs: Sequence[tuple[str, str]], columns: Sequence[str]) -> str:
    """The part of a slice's name that says what it holds (not of which parts)."""
    return digest((SLICE_VERSION, list(pairs), list(columns)))


def slice_key(
    files: Sequence[str], pairs: Sequence[tuple[str, str]], columns: Sequence[str]
) -> tuple[str, str]:
    """(shape, content) naming the slice of ``pairs`` and ``columns`` in exactly ``files``."""
    return slice_shape(pairs, columns), files_digest(files)


def temporary_beside(path: Path) -> Path:
    """A name beside ``path`` for writing it before an atomic ``os.replace``."""
    return path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")


def drop_older(path: Path, prefix: str) -> None:
    """Delete the cache files of earlier store versions: ``prefix-*`` other than ``path``'s."""
    for old in path.parent.glob(f"{prefix}-*"):
        if old.stem != path.stem and old.suffix in (".parquet", ".parts"):
            old.unlink(missing_ok=True)


def slice_select(
    files: Sequence[str],
    pairs: Sequence[tuple[str, str]],
    columns: Sequence[str],
    *,
    with_part: bool = False,
) -> str:
    """The dyad's rows of ``files``: ``columns`` (and, ``with_part``, :data:`SLICE_PART`)."""
    select = ", ".join(
        "CAST(round(CAST(goldstein AS DOUBLE), 4) AS DOUBLE) AS goldstein"
        if c == "goldstein"
        else c
        for c in columns
    )
    if with_part:
        select += f", filename AS {SLICE_PART}"
    rel = parquet(files, filename=with_part)
    return " UNION ALL ".join(
        f"SELECT {select} FROM {rel} WHERE actor1_country = {sql_str(x)} "
        f"AND actor2_country = {sql_str(y)}"
        for x, y in pairs
    )


SLICE_MIN_FILES = 8
"""Below this many event files a direct scan is as cheap as reading a cached slice."""


def _previous_slice(directory: Path, shape: str) -> tuple[Path, set[str]] | None:
    """The newest complete earlier slice of this shape and the parts it covers, if any."""
    found = []
    for path in directory.glob(f"dyad-{shape}-*.parquet"):
        listing = path.with_suffix(".parts")
        try:
            found.append((path.stat().st_mtime_ns, path, listing.read_text(encoding="utf-8")))
        except OSError:
            continue
    if not found:
        return None
    _, path, text = max(found)
    return path, set(text.splitlines())


def _incremental_select(
    files: Sequence[str],
    pairs: Sequence[tuple[str, str]],
    columns: Sequence[str],
    previous: tuple[Path, set[str]] | None,
) -> str:
    """The new slice's rows: kept rows of the previous slice plus a scan of the new parts.

    Parts are immutable and uniquely named, so a part listed in both the old and the new
    manifest has the same rows; only parts added since are scanned, and rows of parts no
    longer current (an artifact replaced) are dropped. Without a usable previous slice, or
    when nothing of it is still current, every part is scanned.
    """
    if previous is None:
        return slice_select(files, pairs, columns, with_part=True)
    old_path, old_parts = previous
    added = [f for f in files if f not in old_parts]
    if len(added) == len(files):
        return slice_select(files, pairs, columns, with_part=True)
    gone = sorted(old_parts.difference(files))
    keep = f"SELECT * FROM {parquet([str(old_path)])}"
    if gone:
        keep += f" WHERE {SLICE_PART} NOT IN ({', '.join(sql_str(g) for g in gone)})"
    if not added:
        return keep
    return f"{keep} UNION ALL {slice_select(added, pairs, columns, with_part=True)}"


def disk_slice(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    pairs: Sequence[tuple[str, str]],
    columns: Sequence[str],
) -> str | None:
    """A ``read_parquet`` of the dyad's rows of the current parts, cached in the store.

    A one-off call (the CLI, a new API worker) pays the scan of the parts once per store
    version; later processes read one small file. The file name is a hash of the exact part
    list, so a commit makes a new name and an old slice is never read as current. A new
    slice is built from the previous one where it can: only the parts committed since are
    scanned (:func:`_incremental_select`), which keeps a store fed every fifteen minutes
    from rescanning years of parts after each update. Beside each slice, ``.parts`` lists
    the parts it covers. Any failure to write (a read-only store) falls back to scanning
    the parts.
    """
    files = scope.slice_files
    if scope.cache_dir is None or len(files) < SLICE_MIN_FILES:
        return None
    shape, content = slice_key(files, pairs, columns)
    path = scope.cache_dir / f"dyad-{shape}-{content}.parquet"
    if not path.exists():
        tmp = temporary_beside(path)
        listing = path.with_suffix(".parts")
        tmp_listing = temporary_beside(listing)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            select = _incremental_select(files, pairs, columns, _previous_slice(path.parent, shape))
            con.execute(f"COPY ({select}) TO {sql_str(str(tmp))} (FORMAT parquet)").fetchall()
            tmp_listing.write_text("\n".join(files), encoding="utf-8")
            os.replace(tmp_listing, listing)  # the listing first: a slice is never unlisted
            os.replace(tmp, path)
        except (OSError, duckdb.IOException):
            for t in (tmp, tmp_listing):
                with contextlib.suppress(OSError):
                    t.unlink(missing_ok=True)
            return None
        drop_older(path, f"dyad-{shape}")
    return parquet([str(path)])


def _dyad_slice(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[str],
    pairs: Sequence[tuple[str, str]],
    columns: Sequence[str],
    on_disk: str | None = None,
) -> str:
    """Name of a temporary table holding every row of ``pairs`` in ``files`` (made once)."""
    shape, content = slice_key(files, pairs, columns)
    name = f"_slice_{shape}_{content}"
    existing = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE temporary AND table_name LIKE ?",
            [f"_slice_{shape}_%"],
        ).fetchall()
    }
    if name in existing:
        return name
    for old in existing:  # an earlier version of the store: its files are no longer current
        con.execute(f"DROP TABLE {old}").fetchall()
    select = f"SELECT * FROM {on_disk}" if on_disk else slice_select(files, pairs, columns)
    con.execute(f"CREATE TEMP TABLE {name} AS {select}").fetchall()
    return name
