"""Append one event to an events file, validated on the spot (``dyadwatch kb add``).

The new event is checked as a record (schema) and against the rest of the knowledge base
(its id unused, its actors and instruments defined, its CAMEO code in the codebook) before
anything is written. It is appended as a YAML block in the style of the hand-written files,
the file is read back to make sure it parses to the same record, and only then replaced
(atomically), so a failed ``add`` leaves the file as it was.

Examples
--------
On a copy of the knowledge base (``root``; by default the shipped one is written to):

>>> import shutil, tempfile
>>> from datetime import date
>>> from importlib.resources import files
>>> root = Path(tempfile.mkdtemp()) / "kb"
>>> _ = shutil.copytree(files("dyadwatch.knowledge") / "data", root)
>>> new = {
...     "id": "2021-01-15-example-meeting", "date": date(2021, 1, 15),
...     "source": "MEX:SRE", "target": "USA:DEA", "cameo": "036",
...     "summary": "An example, not a fact: officials of the two governments met.",
...     "sources": [{"url": "https://example.org/meeting", "title": "Example",
...                  "publisher": "Example News", "published": date(2021, 1, 15)}],
...     "verified": False, "relation_effect": 2,
...     "effect_rationale": "A meeting is a small step of cooperation."}
>>> located = add_event(new, "2017-2026.yaml", root=root)
>>> located.file.read_text().splitlines()[located.line - 1]
'- id: 2021-01-15-example-meeting'

Added again, now with an unknown actor too, it is refused with every problem, and the file
is left as it was:

>>> add_event({**new, "source": "USA:GOV"}, "2017-2026.yaml", root=root)
... # doctest: +ELLIPSIS
Traceback (most recent call last):
...
dyadwatch.errors.KnowledgeBaseError: the event was not added:
  duplicate event id '2021-01-15-example-meeting' (first defined at ...)
  2021-01-15-example-meeting: unknown actor 'USA:GOV' (define it in actors/)
"""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Callable, Mapping
from datetime import time, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dyadwatch.codebooks import cameo
from dyadwatch.errors import KnowledgeBaseError
from dyadwatch.knowledge.loader import (
    KnowledgeBase,
    Located,
    Problem,
    display_path,
    load,
    read_yaml_records,
)
from dyadwatch.knowledge.schema import EventRecord
from dyadwatch.knowledge.validate import validate


def _q(value: str) -> str:
    """A YAML scalar for any text: JSON strings are valid YAML double-quoted scalars."""
    return json.dumps(value, ensure_ascii=False)


def event_yaml(e: EventRecord) -> str:
    """The YAML block of one event, in the house style of ``events/*.yaml``.

    >>> from datetime import date
    >>> print(event_yaml(EventRecord(id="x-1", date=date(2021, 1, 1), source="USA:DEA",
    ...     cameo="010", summary="An example summary.", verified=False,
    ...     sources=[{"url": "https://e.org", "title": "T"}])).splitlines()[0])
    - id: x-1
    """
    lines = [
        f"- id: {e.id}",
        f"  date: {e.date.isoformat()}",
        f"  precision: {e.precision}",
    ]
    if e.known_at is not None:
        end_of_day = e.known_at.time() == time.max and e.known_at.utcoffset() == timedelta(0)
        known = e.known_at.date().isoformat() if end_of_day else e.known_at.isoformat()
        lines.append(f"  known_at: {known}")
    lines += [
        f"  source: {e.source}",
        f"  target: {e.target if e.target else 'null'}",
        f"  cameo: {_q(e.cameo)}",
        f"  instruments: [{', '.join(e.instruments)}]",
    ]
    if e.topics:
        lines.append(f"  topics: [{', '.join(_q(t) for t in e.topics)}]")
    lines.append("  summary: >-")
    lines += textwrap.wrap(
        " ".join(e.summary.split()),
        width=96,
        initial_indent="    ",
        subsequent_indent="    ",
        break_on_hyphens=False,
    )
    lines.append("  sources:")
    for s in e.sources:
        lines.append(f"    - url: {_q(s.url)}")
        lines.append(f"      title: {_q(s.title)}")
        if s.publisher:
            lines.append(f"      publisher: {_q(s.publisher)}")
        if s.published is not None:
            published = s.published if isinstance(s.published, str) else s.published.isoformat()
            lines.append(f"      published: {published}")
        if s.archived_copy:
            lines.append(f"      archived_copy: {_q(s.archived_copy)}")
        if s.late_reason:
            lines.append(f"      late_reason: {_q(' '.join(s.late_reason.split()))}")
    lines.append(f"  verified: {'true' if e.verified else 'false'}")
    if e.relation_effect is not None:
        lines.append(f"  relation_effect: {e.relation_effect:g}")
    if e.effect_rationale:
        lines.append(f"  effect_rationale: {_q(' '.join(e.effect_rationale.split()))}")
    if e.episode:
        lines.append(f"  episode: {e.episode}")
    if e.note:
        lines.append(f"  note: {_q(' '.join(e.note.split()))}")
    return "\n".join(lines) + "\n"


def _target_file(kb: KnowledgeBase, events_file: str | Path) -> Path:
    path = Path(events_file)
    if not path.is_absolute() and not path.exists():
        path = kb.root / "events" / path.name
    if path.suffix not in (".yaml", ".yml"):
        raise KnowledgeBaseError(f"{path}: an events file must be a .yaml file.")
    if path.parent.resolve() != (kb.root / "events").resolve():
        raise KnowledgeBaseError(
            f"{path}: not in {display_path(kb.root / 'events')}; choose one of "
            + ", ".join(p.name for p in kb.files_of("events"))
        )
    return path


def check_event(
    data: Mapping[str, Any],
    events_file: str | Path,
    *,
    root: Path | None = None,
    codebook: Callable[[], Any] = cameo,
) -> tuple[EventRecord | None, list[Problem], Path]:
    """Validate ``data`` as a new event of ``events_file``: the record and its problems."""
    kb = load(root)
    path = _target_file(kb, events_file)
    shown = display_path(path)
    try:
        record = EventRecord.model_validate(dict(data))
    except ValidationError as exc:
        problems = [
            Problem(
                shown,
                None,
                f"{'.'.join(str(x) for x in err['loc'])}: "
                f"{str(err['msg']).removeprefix('Value error, ')}".lstrip(": "),
            )
            for err in exc.errors()
        ]
        return None, problems, path
    line = (len(path.read_text(encoding="utf-8").splitlines()) + 2) if path.exists() else 1
    new: Located[EventRecord] = Located(record, path, line, {})
    kb.events.append(new)
    kb.problems = []
    problems = [
        p
        for p in validate(kb, codebook=codebook)
        if p.severity == "error" and p.file == shown and p.line == line
    ]
    return record, problems, path


def add_event(
    data: Mapping[str, Any],
    events_file: str | Path,
    *,
    root: Path | None = None,
    codebook: Callable[[], Any] = cameo,
) -> Located[EventRecord]:
    """Validate ``data`` and append it to ``events_file``; return the event as written.

    Parameters
    ----------
    data
        The event's fields as in FORMAT.md (``id``, ``date``, ``source``, ``cameo`` …).
    events_file
        A file of ``events/`` by name (``2017-2026.yaml``) or path; created if it is new.
    root
        Knowledge-base directory (default: the shipped one).

    Raises
    ------
    KnowledgeBaseError
        If the event does not validate; the message lists every problem. Nothing is written.
    """
    record, problems, path = check_event(data, events_file, root=root, codebook=codebook)
    if record is None or problems:
        raise KnowledgeBaseError(
            "the event was not added:\n" + "\n".join(f"  {p.message}" for p in problems)
        )
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    prefix = old.rstrip("\n") + "\n\n" if old.strip() else ""
    new_text = prefix + event_yaml(record)
    line = len(prefix.splitlines()) + 1
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(new_text, encoding="utf-8")
    check: list[Problem] = []
    written = [r for r in read_yaml_records(tmp, EventRecord, check) if r.line == line]
    if check or not written or written[0].record != record:
        tmp.unlink(missing_ok=True)
        raise KnowledgeBaseError(
            f"{display_path(path)}: appending the event would not read back as written "
            f"({'; '.join(str(p) for p in check) or 'records differ'}); nothing was changed."
        )
    os.replace(tmp, path)
    return Located(record, path, line, written[0].lines)


__all__ = ["add_event", "check_event", "event_yaml"]
