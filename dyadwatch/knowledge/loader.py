"""Load the curated knowledge base from its YAML and CSV files, keeping file and line.

Every record is returned with where it came from (:class:`Located`): its file, the line of
the record and the line of each of its fields, so that :mod:`~dyadwatch.knowledge.validate`
and ``dyadwatch kb validate`` can say ``events/2017-2026.yaml:412: …``. YAML line numbers come
from the node marks PyYAML keeps while composing a document (``Node.start_mark``); CSV line
numbers from :attr:`csv.reader.line_num`.

Loading never stops at the first problem: a file that does not parse, a record of the wrong
shape or a field of the wrong type becomes a :class:`Problem` and loading goes on, so one run
reports everything.

Examples
--------
>>> kb = load()
>>> kb.event("2020-10-15-cienfuegos-arrest").record.cameo
'173'
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from dyadwatch.knowledge.schema import (
    OBSERVATION_COLUMNS,
    ActorRecord,
    EpisodeRecord,
    EventRecord,
    InstrumentRecord,
    Observation,
    SeriesRecord,
)

log = logging.getLogger(__name__)

R = TypeVar("R", bound=BaseModel)
Path_ = tuple[str | int, ...]
Severity = Literal["error", "warning"]


def data_root() -> Path:
    """The knowledge base shipped with the package (``dyadwatch/knowledge/data``)."""
    return Path(str(resources.files("dyadwatch.knowledge").joinpath("data")))


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it is below it, else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the knowledge base, and where."""

    file: str | None
    line: int | None
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = self.file or "<knowledge base>"
        if self.line is not None:
            where += f":{self.line}"
        return f"{where}: {self.severity}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "severity": self.severity,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class Located(Generic[R]):
    """A record and where it is written: its file, its first line, each field's line."""

    record: R
    file: Path
    line: int
    lines: Mapping[Path_, int] = field(default_factory=dict)

    def line_of(self, *path: str | int) -> int:
        """The line of the field at ``path`` (``"states", 2, "from"``), else the nearest parent."""
        key: Path_ = tuple(path)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.line

    def problem(self, message: str, *path: str | int, severity: Severity = "error") -> Problem:
        return Problem(display_path(self.file), self.line_of(*path), message, severity)


@dataclass(slots=True)
class KnowledgeBase:
    """Everything under a knowledge-base directory, with the problems met while loading."""

    root: Path
    actors: list[Located[ActorRecord]] = field(default_factory=list)
    events: list[Located[EventRecord]] = field(default_factory=list)
    instruments: list[Located[InstrumentRecord]] = field(default_factory=list)
    episodes: list[Located[EpisodeRecord]] = field(default_factory=list)
    series: list[Located[SeriesRecord]] = field(default_factory=list)
    observations: list[Located[Observation]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    starts: dict[Path, list[int]] = field(default_factory=dict)
    """First line of every record of each file, valid or not (to attribute a problem)."""

    def actor(self, code: str) -> Located[ActorRecord] | None:
        return next((a for a in self.actors if a.record.code == code), None)

    def event(self, event_id: str) -> Located[EventRecord] | None:
        return next((e for e in self.events if e.record.id == event_id), None)

    def instrument(self, instrument_id: str) -> Located[InstrumentRecord] | None:
        return next((i for i in self.instruments if i.record.id == instrument_id), None)

    def files_of(self, kind: str) -> list[Path]:
        """The files of one kind: ``actors``, ``events``, ``instruments``, ``indicators``."""
        if kind == "instruments":
            return [p for p in self.files if p.name == "instruments.yaml"]
        return [p for p in self.files if p.parent.name == kind]


# --- YAML -------------------------------------------------------------------------------------


_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[valid-type,misc]
    """SafeLoader (libyaml's when available) without implicit timestamps: dates stay text.

    PyYAML turns ``2021-01-35`` into an exception while constructing the whole document; left
    as text, a bad date becomes one problem on its own field and line.
    """


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _line_map(
    node: yaml.Node, path: Path_, out: dict[Path_, int], dupes: list[tuple[str, int]]
) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                dupes.append((key, key_node.start_mark.line + 1))
            seen.add(key)
            out[(*path, key)] = key_node.start_mark.line + 1
            _line_map(value_node, (*path, key), out, dupes)
            out[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_map(item, (*path, i), out, dupes)


def _yaml_items(path: Path, problems: list[Problem]) -> Iterator[tuple[Any, int, dict[Path_, int]]]:
    """The items of a YAML file whose top level is a list: (value, line, field lines)."""
    shown = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(shown, None, f"not UTF-8 text ({exc.reason})"))
        return
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            problems.append(Problem(shown, 1, "empty file (expected a list of records)", "warning"))
            return
        if not isinstance(root, yaml.SequenceNode):
            problems.append(
                Problem(shown, root.start_mark.line + 1, "expected a list of records ('- ...')")
            )
            return
        for item in root.value:
            lines: dict[Path_, int] = {}
            dupes: list[tuple[str, int]] = []
            _line_map(item, (), lines, dupes)
            for key, at in dupes:
                problems.append(Problem(shown, at, f"duplicate key '{key}' in one record"))
            try:
                value = loader.construct_object(item, deep=True)
            except (ValueError, TypeError) as exc:
                problems.append(Problem(shown, item.start_mark.line + 1, f"cannot read: {exc}"))
                continue
            yield value, item.start_mark.line + 1, lines
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = mark.line + 1 if mark is not None else None
        what = " ".join(x for x in (exc.context, exc.problem) if x)
        problems.append(Problem(shown, where, f"YAML does not parse: {what}"))
    except yaml.YAMLError as exc:
        problems.append(Problem(shown, None, f"YAML does not parse: {exc}"))
    finally:
        loader.dispose()


def _label(value: Any) -> str:
    if isinstance(value, Mapping):
        for key in ("id", "code"):
            if isinstance(value.get(key), str):
                return f"{value[key]}: "
    return ""


def _validation_problems(
    exc: ValidationError, located: Located[Any], label: str
) -> Iterator[Problem]:
    for err in exc.errors():
        loc = tuple(err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = "required field is missing"
        elif err["type"] == "extra_forbidden":
            msg = "unknown field (see FORMAT.md for the fields of this record)"
        name = ".".join(str(p) for p in loc)
        text = f"{label}{name}: {msg}" if name else f"{label}{msg}"
        yield located.problem(text, *loc)


def read_yaml_records(
    path: Path, model: type[R], problems: list[Problem], starts: list[int] | None = None
) -> list[Located[R]]:
    """Validate each item of the YAML list in ``path`` as ``model``; collect problems.

    ``starts`` receives the first line of every item, valid or not.
    """
    out: list[Located[R]] = []
    for value, line, lines in _yaml_items(path, problems):
        if starts is not None:
            starts.append(line)
        where: Located[Any] = Located(value, path, line, lines)
        if not isinstance(value, Mapping):
            problems.append(where.problem("expected a record (key: value lines)"))
            continue
        try:
            record = model.model_validate(value)
        except ValidationError as exc:
            problems.extend(_validation_problems(exc, where, _label(value)))
            continue
        out.append(Located(record, path, line, lines))
    return out


# --- CSV --------------------------------------------------------------------------------------


def read_csv_records(
    path: Path,
    model: type[R],
    problems: list[Problem],
    columns: Iterable[str] = OBSERVATION_COLUMNS,
    starts: list[int] | None = None,
) -> list[Located[R]]:
    """Validate each row of the CSV file ``path`` as ``model``; collect problems.

    The header must name exactly ``columns`` (in any order).
    """
    shown = display_path(path)
    expected = list(columns)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(Problem(shown, None, f"not UTF-8 text ({exc.reason})"))
        return []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        problems.append(Problem(shown, 1, "empty file (expected a header row)"))
        return []
    except csv.Error as exc:
        problems.append(Problem(shown, 1, f"not CSV: {exc}"))
        return []
    missing = [c for c in expected if c not in header]
    extra = [c for c in header if c not in expected]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if extra:
            parts.append(f"unknown column(s) {', '.join(extra)}")
        problems.append(
            Problem(shown, 1, f"header: {'; '.join(parts)}; expected {','.join(expected)}")
        )
        return []
    out: list[Located[R]] = []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(shown, reader.line_num, f"malformed CSV row: {exc}"))
            if starts is not None:
                starts.append(reader.line_num)
            continue
        line = reader.line_num
        if not row or all(not c.strip() for c in row):
            continue
        if starts is not None:
            starts.append(line)
        if len(row) != len(header):
            problems.append(
                Problem(shown, line, f"expected {len(header)} fields, found {len(row)}")
            )
            continue
        value = dict(zip(header, row, strict=True))
        lines: dict[Path_, int] = {(c,): line for c in header}
        where: Located[Any] = Located(value, path, line, lines)
        try:
            record = model.model_validate(value)
        except ValidationError as exc:
            label = f"{value.get('indicator', '')} {value.get('period', '')}: "
            problems.extend(_validation_problems(exc, where, label))
            continue
        out.append(Located(record, path, line, lines))
    return out


# --- the whole knowledge base ----------------------------------------------------------------


def load(root: Path | str | None = None) -> KnowledgeBase:
    """Read every file of the knowledge base at ``root`` (default: the one shipped).

    Parameters
    ----------
    root
        A directory laid out as FORMAT.md describes (``actors/``, ``events/``,
        ``instruments.yaml``, ``indicators/``).

    Returns
    -------
    KnowledgeBase
        The records that passed the schema, and every problem met (file and line).

    Examples
    --------
    >>> kb = load()
    >>> len(kb.events) > 0
    True
    """
    base = Path(root) if root is not None else data_root()
    kb = KnowledgeBase(root=base)
    if not base.is_dir():
        kb.problems.append(Problem(str(base), None, "knowledge base directory not found"))
        return kb
    for path in sorted((base / "actors").glob("*.yaml")):
        kb.files.append(path)
        kb.actors += read_yaml_records(
            path, ActorRecord, kb.problems, kb.starts.setdefault(path, [])
        )
    for path in sorted((base / "events").glob("*.yaml")):
        kb.files.append(path)
        kb.events += read_yaml_records(
            path, EventRecord, kb.problems, kb.starts.setdefault(path, [])
        )
    instruments = base / "instruments.yaml"
    if instruments.is_file():
        kb.files.append(instruments)
        kb.instruments += read_yaml_records(
            instruments, InstrumentRecord, kb.problems, kb.starts.setdefault(instruments, [])
        )
    for path in sorted((base / "episodes").glob("*.yaml")):
        kb.files.append(path)
        kb.episodes += read_yaml_records(
            path, EpisodeRecord, kb.problems, kb.starts.setdefault(path, [])
        )
    for path in sorted((base / "indicators").glob("*.yaml")):
        kb.files.append(path)
        kb.series += read_yaml_records(
            path, SeriesRecord, kb.problems, kb.starts.setdefault(path, [])
        )
    for path in sorted((base / "indicators").glob("*.csv")):
        kb.files.append(path)
        kb.observations += read_csv_records(
            path, Observation, kb.problems, starts=kb.starts.setdefault(path, [])
        )
    log.debug(
        "knowledge base %s: %d actors, %d events, %d instruments, %d series, %d observations",
        base,
        len(kb.actors),
        len(kb.events),
        len(kb.instruments),
        len(kb.series),
        len(kb.observations),
    )
    return kb


__all__ = [
    "KnowledgeBase",
    "Located",
    "Problem",
    "data_root",
    "display_path",
    "load",
    "read_csv_records",
    "read_yaml_records",
]
