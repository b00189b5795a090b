"""The four GDELT file formats the reader understands, loaded from the package's column tables.

GDELT 1.0 has 57 columns in the historical backfiles (1979–March 2013) and 58 in the daily
files from 1 April 2013, which add ``SOURCEURL`` at the end; GDELT 2.0 event exports have 61
(``*_ADM2Code`` for each of the three geographies) and mention files 16 (GDELT 1.0 and 2.0
event codebooks; the tables are in ``schemas/`` with their provenance).
"""

from __future__ import annotations

import csv
import functools
import importlib.resources
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Format:
    """One GDELT file layout: its columns, the dataset it feeds and the stored source name.

    ``alternate`` names a format whose rows may legitimately appear in the same file (GDELT
    1.0 sample and backfile extracts mix 57- and 58-column rows).
    """

    name: str
    dataset: str
    source: str
    columns: tuple[str, ...]
    types: tuple[str, ...]
    alternate: str | None = None

    @property
    def width(self) -> int:
        return len(self.columns)


_SPECS = (
    ("events-1.0-historical", "events", "gdelt1", "events-1.0-daily"),
    ("events-1.0-daily", "events", "gdelt1", "events-1.0-historical"),
    ("events-2.0", "events", "gdelt2", None),
    ("mentions-2.0", "mentions", "gdelt2", None),
)


@functools.cache
def formats() -> Mapping[str, Format]:
    """Every format by name, read once from the package data.

    Examples
    --------
    >>> formats()["events-2.0"].width
    61
    """
    out: dict[str, Format] = {}
    root = importlib.resources.files("dyadwatch.sources.gdelt").joinpath("schemas")
    for name, dataset, source, alternate in _SPECS:
        text = root.joinpath(f"{name}.csv").read_text(encoding="utf-8")
        rows = list(csv.DictReader(text.splitlines()))
        out[name] = Format(
            name=name,
            dataset=dataset,
            source=source,
            columns=tuple(r["name"] for r in rows),
            types=tuple(r["type"] for r in rows),
            alternate=alternate,
        )
    return out


def by_width(width: int) -> Format | None:
    """The format whose rows have ``width`` fields (None if no format has that many)."""
    for fmt in formats().values():
        if fmt.width == width:
            return fmt
    return None


def by_header(names: list[str]) -> Format | None:
    """The format whose column names equal ``names`` (case-insensitive), for re-exports."""
    wanted = [n.strip().strip('"').lower() for n in names]
    for fmt in formats().values():
        if [c.lower() for c in fmt.columns] == wanted:
            return fmt
    return None
