"""One description per source of how to write its input, split it, and break it.

Each :class:`Case` writes the source's input into a directory — the same records as one
file (:meth:`Case.base`) or split across files in another order (:meth:`Case.split`) — and
writes the malformed variants of :data:`FAULTS` that apply to it. Records are real rows where
``../shared/data`` has them (GDELT, ICEWS, Phoenix, the curated knowledge base) and the
synthetic rows with real headers of ``tests/source_fixtures.py`` otherwise (POLECAT,
ACLED-Mexico). The conformance tests are written once, against this interface.
"""

from __future__ import annotations

import csv
import io
import random
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from dyadwatch.model import Actor, Event, events_to_table
from dyadwatch.sources import get_source
from dyadwatch.sources.base import Artifact, Source
from dyadwatch.sources.curated import CuratedSource
from dyadwatch.sources.gdelt.formats import formats
from dyadwatch.sources.memory import MemorySource
from tests.conftest import REPO, SHARED_DATA
from tests.source_fixtures import acled_text, polecat_text

FAULTS = (
    "wrong_column_count",
    "wrong_encoding",
    "truncated_archive",
    "empty_file",
    "unknown_codes",
    "dates_out_of_range",
    "impossible_dates",
)


@dataclass(frozen=True)
class Expect:
    """What a malformed input must give: one quarantined row (``line``: which; None: any),
    or the whole file refused (``whole``), each with a reason containing ``reason``."""

    reason: str
    whole: bool = False
    line: int | None = None
    adds_nothing: bool = False
    """A new file that holds nothing (an empty events file of the knowledge base): no error,
    nothing added, nothing lost."""


@dataclass
class Case:
    """How to feed one source."""

    name: str
    source: str
    stored: tuple[str, ...]
    options: dict[str, Any] = field(default_factory=dict)

    def make_source(self) -> Source:
        return get_source(self.source, **self.options)

    def base(self, folder: Path) -> list[Path]:
        raise NotImplementedError

    def split(self, folder: Path, seed: int, parts: int = 2) -> list[Path]:
        raise NotImplementedError

    def artifacts(self, source: Source, paths: list[Path]) -> list[Artifact]:
        return list(source.artifacts_for_paths(paths))

    def fault(self, kind: str, folder: Path) -> tuple[list[Path], Expect] | None:
        """The malformed input of ``kind`` (None: it cannot occur for this source)."""
        return None

    def same_path_faults(self) -> frozenset[str]:
        """Faults written over the base file itself (a new version of the same artifact)."""
        return frozenset({"truncated_archive", "empty_file", "wrong_encoding"})


# --- text files ----------------------------------------------------------------------------


@dataclass
class TextCase(Case):
    """A source whose input is a delimited text file (with or without a header row)."""

    header: str | None = None
    lines: list[str] = field(default_factory=list)
    delimiter: str = "\t"
    encoding: str = "utf-8"
    names: tuple[str, ...] = ("input.txt", "input-2.txt", "input-3.txt", "input-4.txt")
    codes: Callable[[str], str] | None = None
    dates: Callable[[str], str] | None = None
    impossible: Callable[[str], str] | None = None
    """Sets the event date to a day the calendar does not have (30 February 2020)."""
    bad_encoding_whole: bool = False

    def _write(self, path: Path, lines: Sequence[str]) -> Path:
        rows = ([self.header] if self.header is not None else []) + list(lines)
        path.write_bytes(("\n".join(rows) + "\n").encode(self.encoding))
        return path

    def line_of(self, index: int) -> int:
        return index + (2 if self.header is not None else 1)

    def base(self, folder: Path) -> list[Path]:
        return [self._write(folder / self.names[0], self.lines)]

    def split(self, folder: Path, seed: int, parts: int = 2) -> list[Path]:
        order = list(self.lines)
        random.Random(seed).shuffle(order)
        chunks = [order[i::parts] for i in range(parts)]
        return [self._write(folder / self.names[i], c) for i, c in enumerate(chunks)]

    def fault(self, kind: str, folder: Path) -> tuple[list[Path], Expect] | None:
        path = folder / self.names[0]
        i = 1  # the second record
        lines = list(self.lines)
        if kind == "wrong_column_count":
            lines[i] = lines[i].rsplit(self.delimiter, 3)[0]
            return [self._write(folder / self.names[1], lines)], Expect(
                "field", line=self.line_of(i)
            )
        if kind == "wrong_encoding":
            if self.bad_encoding_whole:
                path.write_bytes(("\n".join([self.header or "", *lines]) + "\n").encode("utf-16"))
                return [path], Expect("header lacks", whole=True)
            out = self._write(folder / self.names[1], lines)
            raw = out.read_bytes().split(b"\n")
            raw[self.line_of(i) - 1] += b"\xff\xfe"
            out.write_bytes(b"\n".join(raw))
            return [out], Expect("UTF-8", line=self.line_of(i))
        if kind == "truncated_archive":
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
                zf.writestr(path.name, ("\n".join(lines) + "\n") * 20)
            data = buf.getvalue()
            path.write_bytes(data[: len(data) // 2])
            return [path], Expect("corrupt", whole=True)
        if kind == "empty_file":
            path.write_bytes(b"")
            return [path], Expect("empty", whole=True)
        if kind == "unknown_codes" and self.codes is not None:
            lines[i] = self.codes(lines[i])
            return [self._write(folder / self.names[1], lines)], Expect("not", line=self.line_of(i))
        if kind == "impossible_dates" and self.impossible is not None:
            lines[i] = self.impossible(lines[i])
            return [self._write(folder / self.names[1], lines)], Expect(
                "date", line=self.line_of(i)
            )
        if kind == "dates_out_of_range" and self.dates is not None:
            lines[i] = self.dates(lines[i])
            return [self._write(folder / self.names[1], lines)], Expect(
                "event_date", line=self.line_of(i)
            )
        return None


def _set(columns: Sequence[str], delimiter: str, **values: str) -> Callable[[str], str]:
    """A function that sets the named fields of an (unquoted) line."""

    def edit(line: str) -> str:
        fields = line.split(delimiter)
        for name, value in values.items():
            fields[columns.index(name)] = value
        return delimiter.join(fields)

    return edit


def _set_csv(columns: Sequence[str], **values: str) -> Callable[[str], str]:
    """The same for a quoted CSV line."""

    def edit(line: str) -> str:
        fields = next(csv.reader([line]))
        for name, value in values.items():
            fields[columns.index(name)] = value
        out = io.StringIO()
        csv.writer(out, lineterminator="").writerow(fields)
        return out.getvalue()

    return edit


def _csv_lines(text: str) -> tuple[str, list[str]]:
    rows = list(csv.reader(io.StringIO(text)))
    out = []
    for row in rows:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="").writerow(row)
        out.append(buf.getvalue())
    return out[0], out[1:]


def gdelt2() -> TextCase:
    cols = formats()["events-2.0"].columns
    lines = (SHARED_DATA / "gdelt/v2_events/20180101000000.export.CSV").read_text("utf-8")
    rows = lines.splitlines()
    dyad = [r for r in rows if {r.split("\t")[7], r.split("\t")[17]} == {"USA", "MEX"}]
    other = [r for r in rows[:60] if r not in dyad]
    return TextCase(
        name="gdelt2",
        source="gdelt",
        stored=("gdelt2",),
        lines=dyad[:2] + other[:20] + dyad[2:],
        names=(
            "20180101000000.export.CSV",
            "20180101001500.export.CSV",
            "20180101003000.export.CSV",
            "20180101004500.export.CSV",
        ),
        codes=_set(cols, "\t", EventCode="999", EventBaseCode="999", EventRootCode="99"),
        dates=_set(cols, "\t", SQLDATE="18990101"),
        impossible=_set(cols, "\t", SQLDATE="20200230"),
    )


def gdelt1() -> TextCase:
    cols = formats()["events-1.0-daily"].columns
    text = SHARED_DATA / "gdelt/v1_events/reed9999_gdelt1_events_1982_and_20160728_sample.CSV"
    rows = [r for r in text.read_text("utf-8").splitlines() if r.count("\t") == 57][:30]
    return TextCase(
        name="gdelt1",
        source="gdelt",
        stored=("gdelt1",),
        options={"dyads": ()},
        lines=rows,
        names=(
            "20160728.export.CSV",
            "20160729.export.CSV",
            "20160730.export.CSV",
            "20160731.export.CSV",
        ),
        codes=_set(cols, "\t", EventCode="999", EventBaseCode="999", EventRootCode="99"),
        dates=_set(cols, "\t", SQLDATE="18990101"),
        impossible=_set(cols, "\t", SQLDATE="20200230"),
    )


def icews() -> TextCase:
    path = SHARED_DATA / "icews/andybega_icews_events.2018.sample.tab"
    rows = path.read_text("utf-8").splitlines()
    header, body = rows[0], rows[1:]
    cols = header.split("\t")
    dyad = [r for r in body if {r.split("\t")[4], r.split("\t")[10]} == {"United States", "Mexico"}]
    return TextCase(
        name="icews",
        source="icews",
        stored=("icews",),
        header=header,
        lines=dyad[:2] + body[:30] + dyad[2:],
        names=("icews-a.tab", "icews-b.tab", "icews-c.tab", "icews-d.tab"),
        codes=_set(cols, "\t", **{"CAMEO Code": "999"}),
        dates=_set(cols, "\t", **{"Event Date": "1899-06-01"}),
        impossible=_set(cols, "\t", **{"Event Date": "2020-02-30"}),
    )


def phoenix() -> TextCase:
    path = SHARED_DATA / "phoenix/tworavens_samplePhox.csv"
    header, body = _csv_lines(path.read_text("utf-8"))
    cols = next(csv.reader([header]))
    sample = [
        r for r in body if {next(csv.reader([r]))[8], next(csv.reader([r]))[12]} == {"USA", "MEX"}
    ]
    return TextCase(
        name="phoenix",
        source="phoenix",
        stored=("phoenix",),
        header=header,
        delimiter=",",
        lines=sample[:2] + body[:30] + sample[2:],
        names=("phoenix-a.csv", "phoenix-b.csv", "phoenix-c.csv", "phoenix-d.csv"),
        codes=_set_csv(cols, CAMEO="999", RootCode="99"),
        dates=_set_csv(cols, Date="18990601"),
        impossible=_set_csv(cols, Date="20200230"),
    )


def acled() -> TextCase:
    header, body = _csv_lines(acled_text())
    cols = next(csv.reader([header]))
    return TextCase(
        name="acled",
        source="acled",
        stored=("acled",),
        header=header,
        delimiter=",",
        lines=body,
        names=("acled-a.csv", "acled-b.csv", "acled-c.csv", "acled-d.csv"),
        codes=_set_csv(cols, sub_event_type="Teleportation"),
        dates=_set_csv(cols, event_date="1899-06-01"),
        impossible=_set_csv(cols, event_date="2020-02-30"),
    )


def polecat() -> TextCase:
    rows = polecat_text().splitlines()
    cols = rows[0].split("\t")
    return TextCase(
        name="polecat",
        source="polecat",
        stored=("polecat",),
        header=rows[0],
        lines=rows[1:],
        encoding="iso-8859-1",
        names=("polecat-a.txt", "polecat-b.txt", "polecat-c.txt", "polecat-d.txt"),
        codes=_set(cols, "\t", **{"Event Type": "FIGHT"}),
        dates=_set(cols, "\t", **{"Event Date": "1899-06-01", "Publication Date": "1899-06-01"}),
        impossible=_set(cols, "\t", **{"Event Date": "2020-02-30"}),
        bad_encoding_whole=True,
    )


def file_case() -> TextCase:
    header = (
        "source_key,event_date,known_at,actor1_country,actor1_agent,actor2_country,"
        "cameo_code,summary"
    )
    lines = [
        f"k{i},2021-01-{1 + i % 28:02d},,{'USA' if i % 2 else 'MEX'},GOV,"
        f"{'MEX' if i % 2 else 'USA'},{('036', '173', '0874', '111')[i % 4]},event {i}"
        for i in range(24)
    ]
    cols = header.split(",")
    return TextCase(
        name="file",
        source="file",
        stored=("file",),
        header=header,
        delimiter=",",
        lines=lines,
        names=("file-a.csv", "file-b.csv", "file-c.csv", "file-d.csv"),
        codes=_set_csv(cols, cameo_code="999"),
        dates=_set_csv(cols, event_date="1899-06-01"),
        impossible=_set_csv(cols, event_date="2020-02-30"),
    )


@dataclass
class FileParquetCase(TextCase):
    """The file source, whose 'archive' is Parquet: a truncated Parquet file is refused."""

    def fault(self, kind: str, folder: Path) -> tuple[list[Path], Expect] | None:
        if kind == "truncated_archive":
            path = folder / "events.parquet"
            table = pa.table({"source_key": ["a", "b"], "event_date": ["2021-01-01"] * 2})
            pq.write_table(table, path)
            data = path.read_bytes()
            path.write_bytes(data[: len(data) // 2])
            return [path], Expect("Parquet", whole=True)
        return super().fault(kind, folder)


# --- in-memory and the knowledge base --------------------------------------------------------


def _memory_events() -> list[Event]:
    out = []
    for i in range(20):
        day = date(2020, 1 + i % 12, 1 + i % 28)
        out.append(
            Event(
                source="memory",
                source_key=f"m{i}",
                event_date=day,
                known_at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
                actor1=Actor(country="USA" if i % 2 else "MEX", agent_type="GOV"),
                actor2=Actor(country="MEX" if i % 2 else "USA", agent_type="MIL"),
                cameo_code=("036", "173", "0874", "111")[i % 4],
                summary=f"memory event {i}",
            )
        )
    return out


@dataclass
class MemoryCase(Case):
    """Events held in memory: each "file" is a pickled list of event rows in a Parquet file,
    loaded into a :class:`MemorySource` table of the same name."""

    def _write(self, path: Path, events: Sequence[Event]) -> Path:
        pq.write_table(events_to_table(list(events)), path)
        return path

    def base(self, folder: Path) -> list[Path]:
        return [self._write(folder / "memory-a.parquet", _memory_events())]

    def split(self, folder: Path, seed: int, parts: int = 2) -> list[Path]:
        events = _memory_events()
        random.Random(seed).shuffle(events)
        return [self._write(folder / f"memory-{i}.parquet", events[i::parts]) for i in range(parts)]

    def make_source(self) -> Source:
        return MemorySource()

    def artifacts(self, source: Source, paths: list[Path]) -> list[Artifact]:
        assert isinstance(source, MemorySource)
        return [source.add(p.name, pq.read_table(p)) for p in paths]

    def fault(self, kind: str, folder: Path) -> tuple[list[Path], Expect] | None:
        events = _memory_events()
        if kind == "unknown_codes":
            events[1] = Event(**{**_fields(events[1]), "cameo_code": "999"})
            return [self._write(folder / "memory-bad.parquet", events)], Expect("not", line=2)
        if kind == "dates_out_of_range":
            when = datetime(1899, 6, 1, 12, tzinfo=UTC)
            events[1] = Event(
                **{**_fields(events[1]), "event_date": date(1899, 6, 1), "known_at": when}
            )
            return [self._write(folder / "memory-bad.parquet", events)], Expect(
                "event_date", line=2
            )
        return None


def _fields(event: Event) -> dict[str, Any]:
    return {f: getattr(event, f) for f in Event.__dataclass_fields__}


KB = REPO / "dyadwatch" / "knowledge" / "data"


def _kb_events() -> list[dict[str, Any]]:
    records = yaml.safe_load((KB / "events" / "2017-2026.yaml").read_text("utf-8"))
    return [r for r in records if not r.get("episode")][:12]


@dataclass
class CuratedCase(Case):
    """A knowledge base in a folder: the shipped actors, real curated events in events/."""

    def _root(self, folder: Path) -> Path:
        root = folder / "kb"
        if not (root / "actors").exists():
            (root / "events").mkdir(parents=True)
            for path in (KB / "actors").glob("*.yaml"):
                (root / "actors").mkdir(exist_ok=True)
                (root / "actors" / path.name).write_bytes(path.read_bytes())
        return root

    def _write(self, root: Path, name: str, records: Sequence[dict[str, Any]]) -> Path:
        path = root / "events" / name
        path.write_text(yaml.safe_dump(list(records), allow_unicode=True, sort_keys=False), "utf-8")
        return path

    def base(self, folder: Path) -> list[Path]:
        return [self._write(self._root(folder), "a.yaml", _kb_events())]

    def split(self, folder: Path, seed: int, parts: int = 2) -> list[Path]:
        records = _kb_events()
        random.Random(seed).shuffle(records)
        root = self._root(folder)
        return [self._write(root, f"part-{i}.yaml", records[i::parts]) for i in range(parts)]

    def make_source(self) -> Source:
        return CuratedSource()

    def artifacts(self, source: Source, paths: list[Path]) -> list[Artifact]:
        root = paths[0].parents[1]
        curated = CuratedSource(root)
        names = {p.name for p in paths}
        return [a for a in curated.discover() if Path(a.key).name in names]

    def fault(self, kind: str, folder: Path) -> tuple[list[Path], Expect] | None:
        root = self._root(folder)
        records = _kb_events()
        if kind == "wrong_encoding":
            path = root / "events" / "a.yaml"
            path.write_bytes(path.read_bytes() + "\n# caf\u00e9\n".encode("latin-1"))
            return [path], Expect("UTF-8", whole=True)
        if kind == "empty_file":
            path = root / "events" / "empty.yaml"
            path.write_bytes(b"")
            return [path], Expect("", adds_nothing=True)
        if kind == "unknown_codes":
            records[1] = {**records[1], "cameo": "999"}
            return [self._write(root, "bad.yaml", records)], Expect("999")
        if kind == "dates_out_of_range":
            records[1] = {**records[1], "date": date(2999, 1, 1)}
            return [self._write(root, "bad.yaml", records)], Expect("2999")
        return None


def _file() -> Case:
    plain = file_case()
    return FileParquetCase(**{f: getattr(plain, f) for f in plain.__dataclass_fields__})


FACTORIES: dict[str, Callable[[], Case]] = {
    "gdelt1": gdelt1,
    "gdelt2": gdelt2,
    "curated": lambda: CuratedCase(name="curated", source="curated", stored=("curated",)),
    "file": _file,
    "memory": lambda: MemoryCase(name="memory", source="memory", stored=("memory",)),
    "icews": icews,
    "polecat": polecat,
    "phoenix": phoenix,
    "acled": acled,
}
"""Every source the suite covers, by the name its tests are labelled with."""

CASE_NAMES: tuple[str, ...] = tuple(FACTORIES)

_TEXT_FAULTS = FAULTS
APPLICABLE: dict[str, tuple[str, ...]] = {
    **{name: _TEXT_FAULTS for name in ("gdelt1", "gdelt2", "file", "icews", "polecat")},
    **{name: _TEXT_FAULTS for name in ("phoenix", "acled")},
    "curated": ("wrong_encoding", "empty_file", "unknown_codes", "dates_out_of_range"),
    "memory": ("unknown_codes", "dates_out_of_range"),
}
"""Which malformed inputs can occur for each source (a table in memory has no encoding,
columns or archive; the knowledge base is YAML, not an archive with columns)."""


def case(name: str) -> Case:
    return FACTORIES[name]()
