"""Phoenix: the Open Event Data Alliance's PETRARCH-coded daily events (2014–2018).

Registered as ``phoenix``; events are stored as source ``phoenix``. Two layouts are read:

- the public daily files (``events.full.YYYYMMDD.txt``): 26 tab-separated columns without a
  header, taken in the order of :data:`COLUMNS`;
- the same columns with a header, comma-separated and quoted, as in the TwoRavens sample
  (``../shared/data/phoenix``, 5,000 events 2014–2016), which adds two R row-name columns
  (an unnamed first column and ``X``) that are ignored.

The column names are the TwoRavens sample's, whose 26 data columns follow the daily files'
order (the sample's PROVENANCE.md: it was derived from those files). Mapping:

=====================  ====================================================================
canonical              from
=====================  ====================================================================
``source_key``         ``GID`` (plain numbers and ``NNNNNNN_v0.2.0`` — two Phoenix versions)
``event_date``         ``Date`` (YYYYMMDD)
``actor*_code``        ``Source`` / ``Target`` (the full CAMEO actor code, ``USAGOV``)
``actor*_country``     ``SrcActor`` / ``TgtActor``
``actor*_agent``       ``SrcAgent`` / ``TgtAgent`` (the first agent code; the others,
                       ``SOthAgent`` / ``TOthAgent``, are kept in ``attributes``)
``cameo_code``         ``CAMEO``, its leading zero restored when ``RootCode`` is a single digit
                       (the sample lost them: ``10`` is 010, ``311`` is 0311)
``cameo_root``         ``RootCode``, two digits
``goldstein``          ``Goldstein``
``action_*``           ``Geoname``, ``CountryCode`` (three letters only), ``Lat`` / ``Lon``
``source_urls``        ``URL``, with ``sourcetxt`` as its outlet
``attributes``         ``QuadClass`` as ``penta_class`` (Phoenix's 0–4 scale, where 0 is a
                       neutral statement: it is *not* CAMEO's quad class, which the ``codes``
                       step derives from the code), the other agents, ``None`` (issues),
                       ``AdminInfo``, ``ID`` (sentence id)
=====================  ====================================================================

``known_at``: a daily file carries no publication time; it was produced after the day it
covers ended, so a record is taken as public at the end of the day *after* its event date
(UTC) — or at the ``--known-at`` date given for the file. The one-event-per-dyad-per-day
rule of the Phoenix pipeline is the ``phoenix_dedupe`` normalise step, as for every source.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dyadwatch.sources.base import Artifact, Reject
from dyadwatch.sources.eventfile import EventFileSource, end_of_day, to_json
from dyadwatch.sources.tabular import strptime_strict

COLUMNS = (
    "GID",
    "Date",
    "Year",
    "Month",
    "Day",
    "Source",
    "SrcActor",
    "SrcAgent",
    "SOthAgent",
    "Target",
    "TgtActor",
    "TgtAgent",
    "TOthAgent",
    "CAMEO",
    "RootCode",
    "QuadClass",
    "Goldstein",
    "None",
    "Lat",
    "Lon",
    "Geoname",
    "AdminInfo",
    "CountryCode",
    "ID",
    "URL",
    "sourcetxt",
)
"""The 26 columns of a Phoenix event, in the daily files' order (TwoRavens' names)."""


def restore_zero(code: Any, root: Any) -> tuple[Any, Any]:
    """CAMEO codes and roots with the leading zero a spreadsheet took away.

    >>> c, r = restore_zero(pa.array(["10", "311", "141", "0311", None]),
    ...                     pa.array(["1", "3", "14", "3", None]))
    >>> c.to_pylist(), r.to_pylist()
    (['010', '0311', '141', '0311', None], ['01', '03', '14', '03', None])
    """
    one_digit = pc.equal(pc.utf8_length(root), 1)
    padded = pc.binary_join_element_wise("0", code, "")
    needs = pc.and_(one_digit, pc.invert(pc.starts_with(code, "0")))
    code = pc.if_else(pc.fill_null(needs, False), padded, code)
    root = pc.utf8_lpad(root, 2, "0")
    return code, root


def one_item_lists(values: Any, present: Any = None) -> pa.Array:
    """A string column → a list column of one item per row; null where ``present`` is false
    (default: where the value itself is null). An item may be null: an outlet aligned with a
    URL whose outlet is unknown.

    >>> one_item_lists(pa.array(["a", None])).to_pylist()
    [['a'], None]
    >>> one_item_lists(pa.array([None, "b"]), pa.array([True, True])).to_pylist()
    [[None], ['b']]
    """
    arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    n = len(arr)
    offsets = pa.array(np.arange(0, n + 1, dtype=np.int32))
    lists = pa.ListArray.from_arrays(offsets, arr)
    keep = pc.is_valid(arr) if present is None else present
    return pc.if_else(keep, lists, pa.scalar(None, lists.type))


def three_letters(values: Any) -> Any:
    """Keep values that are three letters (a CAMEO country or agent code); others → null."""
    ok = pc.match_substring_regex(values, r"^[A-Za-z]{3}$")
    return pc.if_else(pc.fill_null(ok, False), values, pa.scalar(None, pa.string()))


class PhoenixSource(EventFileSource):
    """Phoenix events (Open Event Data Alliance, PETRARCH-2; the sample states no licence)."""

    name: ClassVar[str] = "phoenix"
    stored_as: ClassVar[str] = "phoenix"
    codebook: ClassVar[str] = "cameo"
    schema_versions: ClassVar[tuple[str, ...]] = ("phoenix-daily-26", "phoenix-tworavens-csv")
    about: ClassVar[str] = (
        "Phoenix event data (Open Event Data Alliance, coded with PETRARCH-2 from news "
        "stories). The TwoRavens sample's repository states no licence; the public daily "
        "files were distributed by the OEDA: cite the Phoenix dataset and check its terms "
        "before redistributing."
    )
    required: ClassVar[tuple[str, ...]] = ("GID", "Date", "SrcActor", "TgtActor", "CAMEO")
    kind_of_file: ClassVar[str] = "a Phoenix event file"
    key_columns: ClassVar[tuple[str, ...]] = ("Date", "SrcActor", "TgtActor")
    lag: ClassVar[timedelta] = timedelta(days=1)
    default_confidence: float = 0.5

    def dialect(self, first_line: str) -> tuple[str, bool]:
        return ("\t", False) if "\t" in first_line else (",", True)

    def headerless_names(self, first_line: list[str]) -> list[str] | None:
        if len(first_line) == len(COLUMNS) and "GID" not in first_line:
            return list(COLUMNS)
        return None

    def keys(self, table: pa.Table) -> tuple[Any, Any, Any]:
        day = pc.cast(
            strptime_strict(table.column("Date"), "%Y%m%d"),
            pa.date32(),
        )
        return day, table.column("SrcActor"), table.column("TgtActor")

    def to_canonical(
        self, table: pa.Table, artifact: Artifact, rejects: list[Reject]
    ) -> dict[str, Any]:
        n = table.num_rows

        def col(name: str) -> Any:
            if name in table.column_names:
                return table.column(name)
            return pa.nulls(n, pa.string())

        day, a1, a2 = self.keys(table)
        code, root = restore_zero(col("CAMEO"), col("RootCode"))
        release = self.release_time(artifact)
        if release is not None:
            known = pa.array([release] * n, pa.timestamp("us", tz="UTC"))
        else:
            known = end_of_day(day, later=self.lag.days)
        return {
            "source_key": col("GID"),
            "event_date": day,
            "known_at": known,
            "actor1_code": col("Source"),
            "actor1_country": three_letters(a1),
            "actor1_agent": three_letters(col("SrcAgent")),
            "actor2_code": col("Target"),
            "actor2_country": three_letters(a2),
            "actor2_agent": three_letters(col("TgtAgent")),
            "cameo_code": code,
            "cameo_root": root,
            "goldstein": col("Goldstein"),
            "action_name": col("Geoname"),
            "action_country": three_letters(col("CountryCode")),
            "action_lat": col("Lat"),
            "action_lon": col("Lon"),
            "source_urls": one_item_lists(col("URL")),
            "source_outlets": one_item_lists(col("sourcetxt"), pc.is_valid(col("URL"))),
            "attributes": to_json(
                {
                    "penta_class": col("QuadClass"),
                    "source_other_agents": col("SOthAgent"),
                    "target_other_agents": col("TOthAgent"),
                    "issues": col("None"),
                    "admin_info": col("AdminInfo"),
                    "sentence_id": col("ID"),
                    "outlet": col("sourcetxt"),
                }
            ),
        }


__all__ = ["COLUMNS", "PhoenixSource", "one_item_lists", "restore_zero", "three_letters"]
