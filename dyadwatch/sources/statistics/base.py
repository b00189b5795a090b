"""What the statistics sources share: local files in, ``indicators`` chunks out.

Each statistics source reads one official download format (CDC VSRR, CBP drug seizures,
SESNSP victims, the INEGI-vs-SESNSP homicide table, ForeignAssistance.gov country totals).
Users point it at the files they downloaded — the same format, newer releases::

    dyadwatch ingest cbp_seizures nationwide-drugs-fy21-fy24.csv

A file is one release, so it is one *vintage*: the vintage is named after the last period
the file covers (``cbp-nationwide-through-2023-09``), and every figure in it carries that
vintage and the file's ``known_at``. A later download that revises a month is a new vintage
beside the old one, never an overwrite, so "as of D" gives what was public on D.

None of these downloads states its release date. ``known_at`` is therefore the value given
to the source (``known_at=...``) or, by default, the end of the last period the file covers
plus the source's :attr:`StatisticsSource.assumed_lag_days` — an assumption, written into each
row's ``note``, so that an as-of query never sees a figure before the data it covers existed.

A file of another format (wrong header) fails as a whole with a message that names the
columns expected; a row that cannot be read (bad number, unknown month, wrong field count) is
set aside with its line and reason, and the rest of the file is kept.

Counting: a file's *rows* are its data lines and its *figures* the indicator values stored.
The two differ — a CDC row holds a reported and a predicted count (two figures), a CBP file
is summed into monthly totals (fewer figures than rows) — so each chunk says both:
``rows_read`` (data lines read), ``rows_used`` (lines that gave at least one figure) and its
table (the figures). The ingest summary reports rows read and kept in rows, and the figures
stored apart, instead of comparing figures with lines.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa

from dyadwatch.errors import ArtifactError
from dyadwatch.model import INDICATOR_SCHEMA, rows_to_table
from dyadwatch.sources.base import Artifact, Chunk, Reject, Source, file_artifact

csv.field_size_limit(1 << 24)

MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    )
}
MONTH_NAMES = {
    name: i + 1
    for i, name in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ]
    )
}


def slug(text: str) -> str:
    """``"Other Drugs**"`` → ``"other_drugs"``; ``"Synthetic opioids, excl. methadone (T40.4)"``
    → ``"synthetic_opioids_excl_methadone_t40_4"``."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def month_end(year: int, month: int) -> date:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def parse_number(text: str) -> float:
    """A number as official CSVs write it: ``"1,234"``, ``" 12.5 "``; raises ValueError."""
    cleaned = text.strip().replace(",", "")
    if not cleaned:
        raise ValueError("empty")
    return float(cleaned)


class StatisticsSource(Source):
    """Base of the statistics sources: local files, one vintage per file."""

    codebook: ClassVar[str] = "none"
    assumed_lag_days: ClassVar[int] = 30
    """Days from the end of the last period in a file to its assumed release."""
    vintage_prefix: ClassVar[str] = "stats"
    required_columns: ClassVar[tuple[str, ...]] = ()
    format_name: ClassVar[str] = "statistics"
    parser_version: ClassVar[str] = "1"
    """Bump when the reader changes what it produces, so stored files are read again."""

    def __init__(
        self,
        paths: Sequence[Path | str] | None = None,
        known_at: date | datetime | None = None,
    ) -> None:
        self.paths = [Path(p) for p in paths or []]
        if isinstance(known_at, datetime):
            self.known_at: datetime | None = (
                known_at if known_at.tzinfo else known_at.replace(tzinfo=UTC)
            )
        elif isinstance(known_at, date):
            self.known_at = datetime.combine(known_at, time.max, tzinfo=UTC)
        else:
            self.known_at = None

    def discover(self, since: date | None = None, until: date | None = None) -> Iterator[Artifact]:
        """The files given at construction (these sources download nothing)."""
        return self.artifacts_for_paths(self.paths)

    def artifacts_for_paths(self, paths: list[Path]) -> Iterator[Artifact]:
        """File artifacts whose checksum also covers the reader's version and ``known_at``.

        A file read by a newer reader, or with another ``known_at``, is ingested again.
        """
        for path in paths:
            art = file_artifact(self.name, path)
            salt = f"{art.checksum}|{self.name}|{self.parser_version}|{self.known_at}"
            yield replace(art, checksum=hashlib.sha256(salt.encode()).hexdigest())

    # --- helpers for subclasses ----------------------------------------------------------

    def check_header(self, path: Path, header: Sequence[str]) -> dict[str, int]:
        """Column name → index; raise ArtifactError naming what is missing."""
        names = [h.strip().lstrip("\ufeff") for h in header]
        missing = [c for c in self.required_columns if c not in names]
        if missing:
            raise ArtifactError(
                f"{path}: not a {self.format_name} file: header lacks "
                f"{', '.join(repr(m) for m in missing)} (expected columns: "
                f"{', '.join(self.required_columns)})."
            )
        return {name: i for i, name in enumerate(names)}

    def release(self, last_period_end: date) -> tuple[datetime, str | None]:
        """``known_at`` of a file whose data end on ``last_period_end``, and a note on it."""
        if self.known_at is not None:
            return self.known_at, None
        when = datetime.combine(
            last_period_end + timedelta(days=self.assumed_lag_days), time.max, tzinfo=UTC
        )
        note = (
            f"known_at assumed: end of the last period in the file ({last_period_end}) plus "
            f"{self.assumed_lag_days} days; the file states no release date"
        )
        return when, note

    def vintage(self, last_period_end: date, kind: str | None = None) -> str:
        prefix = f"{self.vintage_prefix}-{kind}" if kind else self.vintage_prefix
        return f"{prefix}-through-{last_period_end:%Y-%m}"

    @staticmethod
    def read_text_rows(path: Path, encoding: str = "utf-8") -> Iterator[tuple[int, list[str]]]:
        """(line number, fields) of a CSV file; undecodable bytes become U+FFFD."""
        with path.open("r", encoding=encoding, errors="replace", newline="") as fh:
            reader = csv.reader(fh)
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    yield reader.line_num, [f"\x00csv error: {exc}"]
                    continue
                yield reader.line_num, row

    def csv_rows(self, artifact: Artifact) -> CsvRows:
        """The artifact's data rows, its header checked against :attr:`required_columns`."""
        path = artifact.path
        if path is None:
            raise ArtifactError(f"{artifact.key}: {self.name} reads local files only.")
        rows = self.read_text_rows(path)
        try:
            _, header = next(rows)
        except StopIteration:
            raise ArtifactError(f"{path}: empty file.") from None
        return CsvRows(path, self.check_header(path, header), len(header), rows)

    def stamp(self, rows: list[dict[str, Any]], last_period_end: date | None) -> None:
        """Give every row the file's vintage, ``known_at`` and release note."""
        if last_period_end is None:
            return
        known_at, note = self.release(last_period_end)
        vintage = self.vintage(last_period_end)
        for row in rows:
            row.update(vintage=vintage, known_at=known_at, note=note)

    def chunk(
        self,
        rows: Iterable[dict[str, Any]],
        rejects: list[Reject],
        rows_read: int,
        rows_used: int,
    ) -> Chunk:
        """The figures of one file, with its data rows read and used (see the module)."""
        table: pa.Table = rows_to_table(
            ({**r, "source": r.get("source") or self.name} for r in rows), INDICATOR_SCHEMA
        )
        return Chunk("indicators", table, rejects, rows_read=rows_read, rows_used=rows_used)


class CsvRows:
    """The data rows of one statistics CSV, as ``(line, fields)``.

    Blank lines are skipped; a row with the wrong number of fields is set aside in
    :attr:`rejects` and never yielded. A reader that cannot use a row calls :meth:`reject`.
    """

    def __init__(
        self,
        path: Path,
        col: dict[str, int],
        width: int,
        rows: Iterator[tuple[int, list[str]]],
    ) -> None:
        self.path = path
        self.col = col
        self.width = width
        self.rejects: list[Reject] = []
        self.read = 0
        self._rows = rows

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        for line, fields in self._rows:
            if not fields or all(not f.strip() for f in fields):
                continue
            self.read += 1
            if len(fields) != self.width:
                self.rejects.append(
                    Reject(
                        f"expected {self.width} fields, found {len(fields)}",
                        line=line,
                        raw=raw_line(fields),
                    )
                )
                continue
            yield line, fields

    def reject(self, line: int, fields: Sequence[str], exc: Exception) -> None:
        self.rejects.append(Reject(f"cannot read row: {exc}", line=line, raw=raw_line(fields)))


def raw_line(fields: Sequence[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(fields)
    return buf.getvalue()[:500]


__all__ = [
    "MONTHS",
    "MONTH_NAMES",
    "CsvRows",
    "StatisticsSource",
    "month_end",
    "parse_number",
    "raw_line",
    "slug",
]
